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
import { getImport, listImports } from './handlers/imports';
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

/** Handlers the server builds because they need its dispatcher or limiters. */
export interface ServerBuiltHandlers {
  batch: Handler;
  importSubscribers: Handler;
}

/** Every route the emulator serves, matched in this order. */
export function apiRoutes({ batch, importSubscribers }: ServerBuiltHandlers): RouteDefinition[] {
  return [
    { method: 'GET', pattern: '/api/subscribers', handler: getSubscribers },
    { method: 'POST', pattern: '/api/subscribers', handler: upsertSubscriber },
    // Before `/api/subscribers/{id}`, which would take "import" for an ID.
    { method: 'GET', pattern: '/api/subscribers/import', handler: listImports },
    { method: 'GET', pattern: '/api/subscribers/import/{id}', handler: getImport },
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
    // The Go SDK's path, then the Python SDK's; see facts.ts.
    { method: 'POST', pattern: '/api/groups/{id}/import-subscribers', handler: importSubscribers },
    { method: 'POST', pattern: '/api/groups/{id}/subscribers/import', handler: importSubscribers },
    { method: 'GET', pattern: '/api/fields', handler: listFields },
    { method: 'POST', pattern: '/api/fields', handler: createField },
    { method: 'PUT', pattern: '/api/fields/{id}', handler: updateField },
    { method: 'DELETE', pattern: '/api/fields/{id}', handler: deleteField },
    { method: 'POST', pattern: BATCH_PATTERN, handler: batch },
  ];
}
