export const command = undefined as never;
