export * from './coordinator';
export * from './intake';
export * from './persist';
export * from './read-models';
export * from './replies';
export * from './outcome';
export * from './digest';
export * from './bucket-cache';
