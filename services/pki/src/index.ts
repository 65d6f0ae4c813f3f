export * from './certificates';
export * from './ca';
export * from './server-certificate';
export * from './trust-store';
export * from './files';
export * from './notices';
export * from './sync';
export * from './expiry';
