export * from './api';
export * from './app';
export * from './auth';
export * from './audit';
export * from './handling';
export * from './issuer';
export * from './errors';
export * from './store-limits';
