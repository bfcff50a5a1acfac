export {
  DEMO_EDD_LIMITED_KEYS,
  DEMO_EDD_PUBLIC_KEY,
  DEMO_EDD_SECRET_KEY,
  DEMO_MAILERLITE_TOKEN,
} from './demo-credentials';
export { expectedPurchasers, generateDemoData } from './demo-data';
export type {
  CustomerDefect,
  DemoCustomer,
  DemoDataset,
  DemoProduct,
  DemoSale,
  DemoSaleItem,
  ExpectedPurchasers,
  GenerateDemoDataOptions,
} from './demo-data';
export { EDD_CAPABILITIES, eddToken } from './edd/auth';
export type { EddApiKey, EddCapability } from './edd/auth';
export { startEddEmulator } from './edd/server';
export type { SequentialOrderNumbers } from './edd/store';
export type { StoreActivitySettings } from './edd/store-activity';
export type { EddEmulatorOptions } from './edd/server';
export { startMailerLiteEmulator } from './mailerlite/server';
export type { MailerLiteEmulatorOptions } from './mailerlite/server';
export { FaultSettingsError } from './shared/faults';
export type { ActiveFaults, FaultSettings, LatencySetting, RateLimitBursts } from './shared/faults';
export type { EmulatorHandle } from './types';
