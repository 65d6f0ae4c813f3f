export * from './report/fields';
export * from './report/dates';
export * from './report/terms';
export * from './report/seizure-report';
export * from './vocab/index';
