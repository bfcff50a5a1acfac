import { phpInt } from '../shared/php';

/**
 * The `page` parameter, from 1. Real EDD feeds a page below 1 into an offset that its query layer
 * turns positive again (page 0 returns page 2); the emulator does not reproduce that and reads it as 1.
 */
export function pageParam(query: URLSearchParams): number {
  const raw = query.get('page');
  const page = raw === null ? 1 : phpInt(raw);
  return page < 1 ? 1 : page;
}
