import { describe, expect, it } from '@jest/globals';
import { buildPostgresUrl, databaseNameOf, redactUrl, withDatabase } from './postgres-url';

describe('postgres URLs', () => {
  it('builds a URL with encoded credentials', () => {
    const url = buildPostgresUrl({ user: 'assay', password: 'a/b c', host: '127.0.0.1', port: 55432, database: 'assay' });
    expect(url).toBe('postgresql://assay:a%2Fb%20c@127.0.0.1:55432/assay');
    expect(decodeURIComponent(new URL(url).password)).toBe('a/b c');
  });

  it('switches the database and keeps query parameters', () => {
    expect(withDatabase('postgresql://u:p@db.example:5432/app?sslmode=require', 'assay_test_1')).toBe(
      'postgresql://u:p@db.example:5432/assay_test_1?sslmode=require',
    );
  });

  it('reads the database name, defaulting to the user', () => {
    expect(databaseNameOf('postgresql://u:p@h:5432/app')).toBe('app');
    expect(databaseNameOf('postgres://carol:p@h:5432')).toBe('carol');
  });

  it('redacts the password', () => {
    expect(redactUrl('postgresql://u:secret@h:5432/app')).toBe('postgresql://u:***@h:5432/app');
    expect(redactUrl('redis://h:6379')).toBe('redis://h:6379');
  });
});
