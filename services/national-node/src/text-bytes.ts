// The node reads CSV and JSON bytes with the hub's one strict decoder, which `hub import` uses too (@hub/domain).
export * from '@hub/domain/csv/text-bytes';
