export * from './node';
export * from './app';
export * from './outbox/log';
export * from './outbox/publisher';
