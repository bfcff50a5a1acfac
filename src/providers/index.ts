export * from './contract';
export * from './edd-client';
export * from './http';
export * from './mailerlite-client';
export { ML_ROUTES, batchRequest, type BatchRequest } from './mailerlite-routes';
