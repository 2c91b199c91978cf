import { Migration } from '@mikro-orm/migrations';

/**
 * Keeps search documents of up to 8 KB in the row itself instead of compressing their text and tsvector into
 * TOAST above the default 2 KB: a keyword search decompresses the tsvector of every match to test and rank it,
 * and a third of that search's time went to fetching and decompressing them (`npm run bench:search`; the table
 * is about as big either way). Rows written before this keep their storage until they are next updated or the
 * table is rewritten (`vacuum full search_documents`).
 */
export class Migration20261127130000_search_documents_inline extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table search_documents set (toast_tuple_target = 8160);');
  }

  override async down(): Promise<void> {
    this.addSql('alter table search_documents reset (toast_tuple_target);');
  }
}
