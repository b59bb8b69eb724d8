/** Draft stand-in for store-port.ts's AsyncOf (i16-pg-core): each method returns a Promise. */
export type AsyncOf<R> = { [K in keyof R]: R[K] extends (...args: infer A) => infer T ? (...args: A) => Promise<Awaited<T>> : never };
