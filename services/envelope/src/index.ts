export * from './types';
export * from './signing-input';
export * from './algorithms';
export * from './batch';
export * from './codec';
export * from './signer';
export * from './verifier';
