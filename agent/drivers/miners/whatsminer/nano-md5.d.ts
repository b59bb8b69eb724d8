// nano-md5 ships no types; only the function we use is declared.
declare module 'nano-md5' {
  const md5: {
    /** md5-crypt (`$1$salt$hash`); throws on keys over 64 characters. */
    crypt(key: string, setting: string): string;
  };
  export default md5;
}
