export * from './campaign';
export * from './errors';
export * from './names';
export * from './provisioning';
export * from './search-attributes';
export * from './sync-types';
export * from './subscriber-plan';
