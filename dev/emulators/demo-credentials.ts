/**
 * Fixed, obviously fake credentials for the local emulators. They only open the emulators on
 * localhost; the demo and the tests use them so nobody has to invent keys.
 */
export const DEMO_EDD_PUBLIC_KEY = 'demo-edd-public-key-0000000000000000';
export const DEMO_EDD_SECRET_KEY = 'demo-edd-secret-key-0000000000000000';
export const DEMO_MAILERLITE_TOKEN = 'demo-mailerlite-token-not-a-real-secret';
