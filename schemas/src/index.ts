export * from './rabin';
export * from './registry';
export * from './plain';
export * from './regions';
export * from './bounded';
export * from './ids';
export * from './text-limits';
