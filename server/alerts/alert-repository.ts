// The alert SQL lives in the store (server/store/alert-repository.ts); this keeps the old import path working.
export * from '../store/alert-repository.js';
