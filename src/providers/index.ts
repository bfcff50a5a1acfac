export * from './contract';
export * from './edd-client';
export * from './http';
export * from './mailerlite-client';
