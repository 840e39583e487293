/** What a collection may be called: configuration and every `--collection` accept only these names. */
export const COLLECTION_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
export const COLLECTION_NAME_RULE = 'use letters, digits, ".", "_" or "-" (at most 64 characters)';
