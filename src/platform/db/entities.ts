import { ActivityEvent } from '../../activity/activity-event.entity';
import { RefreshToken } from '../../auth/refresh-token.entity';
import { Card } from '../../cards/card.entity';
import { User } from '../../auth/user.entity';
import { Company } from '../../companies/company.entity';
import { BlacklistEntry } from '../../ingestion/blacklist-entry.entity';
import { InsightSynthesis } from '../../insights/insight-synthesis.entity';
import { Email } from '../../ingestion/email.entity';
import { IngestionKey } from '../../ingestion/ingestion-key.entity';
import { SyncError } from '../../ops/sync-error.entity';
import { ProcessedEmail } from '../../pipeline/processed-email.entity';
import { BusinessRecord } from '../../records/business-record.entity';
import { Tenant } from '../../tenancy/tenant.entity';

/** Tables with a `tenant_id`: each gets the ORM `tenant` filter and a row-level security policy. */
export const TENANT_ENTITIES = [User, RefreshToken, Company, Email, IngestionKey, Card, ProcessedEmail, ActivityEvent, SyncError, BusinessRecord, InsightSynthesis];

/** Tables shared by all tenants. */
export const GLOBAL_ENTITIES = [Tenant, BlacklistEntry];

export const ENTITIES = [...GLOBAL_ENTITIES, ...TENANT_ENTITIES];
