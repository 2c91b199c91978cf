import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261126000000_foundation } from './Migration20261126000000_foundation';
import { Migration20261126010000_ingestion } from './Migration20261126010000_ingestion';
import { Migration20261126020000_pipeline } from './Migration20261126020000_pipeline';
import { Migration20261126030000_records } from './Migration20261126030000_records';
import { Migration20261126040000_search } from './Migration20261126040000_search';
import { Migration20261126060000_insights } from './Migration20261126060000_insights';
import { Migration20261126070000_search_keyword } from './Migration20261126070000_search_keyword';
import { Migration20261126080000_search_keyword_tiers } from './Migration20261126080000_search_keyword_tiers';
import { Migration20261127090000_search_common_words } from './Migration20261127090000_search_common_words';
import { Migration20261127100000_prune_expired } from './Migration20261127100000_prune_expired';
import { Migration20261127110000_thread_lookup } from './Migration20261127110000_thread_lookup';
import { Migration20261127120000_search_rank_candidates } from './Migration20261127120000_search_rank_candidates';
import { Migration20261127130000_search_documents_inline } from './Migration20261127130000_search_documents_inline';
import { Migration20261127140000_search_single_statement } from './Migration20261127140000_search_single_statement';
import { Migration20261127150000_search_common_words_list } from './Migration20261127150000_search_common_words_list';
import { Migration20261127160000_prune_thread_references } from './Migration20261127160000_prune_thread_references';
import { Migration20261127170000_search_narrow_candidates } from './Migration20261127170000_search_narrow_candidates';

/** Listed explicitly so the same code runs from TypeScript (tests) and compiled JavaScript (dist). */
export const MIGRATIONS: MigrationObject[] = [
  { name: 'Migration20261126000000_foundation', class: Migration20261126000000_foundation },
  { name: 'Migration20261126010000_ingestion', class: Migration20261126010000_ingestion },
  { name: 'Migration20261126020000_pipeline', class: Migration20261126020000_pipeline },
  { name: 'Migration20261126030000_records', class: Migration20261126030000_records },
  { name: 'Migration20261126040000_search', class: Migration20261126040000_search },
  { name: 'Migration20261126060000_insights', class: Migration20261126060000_insights },
  { name: 'Migration20261126070000_search_keyword', class: Migration20261126070000_search_keyword },
  { name: 'Migration20261126080000_search_keyword_tiers', class: Migration20261126080000_search_keyword_tiers },
  { name: 'Migration20261127090000_search_common_words', class: Migration20261127090000_search_common_words },
  { name: 'Migration20261127100000_prune_expired', class: Migration20261127100000_prune_expired },
  { name: 'Migration20261127110000_thread_lookup', class: Migration20261127110000_thread_lookup },
  { name: 'Migration20261127120000_search_rank_candidates', class: Migration20261127120000_search_rank_candidates },
  { name: 'Migration20261127130000_search_documents_inline', class: Migration20261127130000_search_documents_inline },
  { name: 'Migration20261127140000_search_single_statement', class: Migration20261127140000_search_single_statement },
  { name: 'Migration20261127150000_search_common_words_list', class: Migration20261127150000_search_common_words_list },
  { name: 'Migration20261127160000_prune_thread_references', class: Migration20261127160000_prune_thread_references },
  { name: 'Migration20261127170000_search_narrow_candidates', class: Migration20261127170000_search_narrow_candidates },
];
