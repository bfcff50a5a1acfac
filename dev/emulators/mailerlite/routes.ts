import { createField, deleteField, listFields, updateField } from './handlers/fields';
import {
  assignToGroup,
  createGroup,
  deleteGroup,
  groupSubscribers,
  listGroups,
  unassignFromGroup,
  updateGroup,
} from './handlers/groups';
import {
  deleteSubscriber,
  getSubscriber,
  getSubscribers,
  updateSubscriber,
  upsertSubscriber,
} from './handlers/subscribers';
import type { Handler, RouteDefinition } from './router';

/** The pattern of the batch route, which the server treats specially (not reachable from inside a batch). */
export const BATCH_PATTERN = '/api/batch';

/** Every route the emulator serves; `batch` is built by the server because it needs the dispatcher. */
export function apiRoutes(batch: Handler): RouteDefinition[] {
  return [
    { method: 'GET', pattern: '/api/subscribers', handler: getSubscribers },
    { method: 'POST', pattern: '/api/subscribers', handler: upsertSubscriber },
    { method: 'GET', pattern: '/api/subscribers/{id}', handler: getSubscriber },
    { method: 'PUT', pattern: '/api/subscribers/{id}', handler: updateSubscriber },
    { method: 'DELETE', pattern: '/api/subscribers/{id}', handler: deleteSubscriber },
    { method: 'POST', pattern: '/api/subscribers/{id}/groups/{groupId}', handler: assignToGroup },
    { method: 'DELETE', pattern: '/api/subscribers/{id}/groups/{groupId}', handler: unassignFromGroup },
    { method: 'GET', pattern: '/api/groups', handler: listGroups },
    { method: 'POST', pattern: '/api/groups', handler: createGroup },
    { method: 'PUT', pattern: '/api/groups/{id}', handler: updateGroup },
    { method: 'DELETE', pattern: '/api/groups/{id}', handler: deleteGroup },
    { method: 'GET', pattern: '/api/groups/{id}/subscribers', handler: groupSubscribers },
    { method: 'GET', pattern: '/api/fields', handler: listFields },
    { method: 'POST', pattern: '/api/fields', handler: createField },
    { method: 'PUT', pattern: '/api/fields/{id}', handler: updateField },
    { method: 'DELETE', pattern: '/api/fields/{id}', handler: deleteField },
    { method: 'POST', pattern: BATCH_PATTERN, handler: batch },
  ];
}
