export * from './collections';
export * from './store';
export * from './documents';
export * from './lookup';
export * from './handling';
export * from './requests';
export * from './lock';
export * from './rewrite';
