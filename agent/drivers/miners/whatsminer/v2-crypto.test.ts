import { test } from 'node:test';
import assert from 'node:assert/strict';
import { md5Crypt } from './md5-crypt.js';
import { decryptV2, deriveV2Session, encryptV2, sealV2Command } from './v2-crypto.js';
import { v3Token, signV3Command } from './v3-auth.js';

// Every vector below was computed once, independently of this code, with
// OpenSSL 3.0.19 and GNU coreutils sha256sum (commands quoted next to each).

// openssl passwd -1 -salt BQ5hoXV9 admin
const HOST_PASSWD = '$1$BQ5hoXV9$RxmaDUO33TS7O26yeMHZ81';
// openssl passwd -1 -salt jbzkfQls 'RxmaDUO33TS7O26yeMHZ818433'   (hash + time "8433")
const HOST_SIGN = '$1$jbzkfQls$yovnG32jUdcpcfRDnlOc51';
// openssl passwd -1 -salt jbzkfQls 'pässwörd-long-long-long-password-abcdefghijklmnop'
const LONG_UTF8 = '$1$jbzkfQls$vMZZKp2sD.3DOK4O5Y27//';
// printf %s RxmaDUO33TS7O26yeMHZ81 | sha256sum
const AES_KEY_HEX = '199e0a202039bb7b558db7a54697dca29cb278055b7e659a127fb844d5a2fbf6';
// P='{"cmd":"power_off","respbefore":"true","token":"yovnG32jUdcpcfRDnlOc51"}'
// { printf %s "$P"; head -c 8 /dev/zero; } | openssl enc -aes-256-ecb -K $AES_KEY_HEX -nopad -base64 -A
const POWER_OFF_PLAIN = '{"cmd":"power_off","respbefore":"true","token":"yovnG32jUdcpcfRDnlOc51"}';
const POWER_OFF_ENC =
  'p/QzYk8jszmQrR9dnOEVtXIRGg7DTmk9EUY2Z5AGabmXE9uaOgah2+aEOFK/+YqMnZqI5EmWCZ8yih72gnHt30762WkAwonRFTHqC7KvK0I=';
// R='{"STATUS":"S","When":1700000000,"Code":131,"Msg":"API command OK","Description":""}'
// { printf %s "$R"; head -c 13 /dev/zero; } | openssl enc -aes-256-ecb -K $AES_KEY_HEX -nopad -base64 -A
const REPLY_PLAIN = '{"STATUS":"S","When":1700000000,"Code":131,"Msg":"API command OK","Description":""}';
const REPLY_ENC =
  'C/UGIQ8LwD66stwLyOOcM8AaTOolBWk/O12cM+G7Mz53lluOVpsOSpBcGhtOpg0QfXzqoVOPWCksKSnoq5FdlDzf1zswfpjLBG0UghjHFmJyj0Iw94hY+ImJc0aQQ3bU';
// printf %s 'set.miner.servicesuper-secretSaLt12341700000000' | openssl dgst -sha256 -binary | base64 | cut -c1-8
const V3_TOKEN = '8vlywYfi';

test('md5-crypt matches openssl passwd -1', () => {
  assert.equal(md5Crypt('admin', 'BQ5hoXV9'), HOST_PASSWD);
  assert.equal(md5Crypt('RxmaDUO33TS7O26yeMHZ818433', 'jbzkfQls'), HOST_SIGN);
  assert.equal(md5Crypt('pässwörd-long-long-long-password-abcdefghijklmnop', 'jbzkfQls'), LONG_UTF8);
});

test('md5-crypt refuses a bad salt and an over-long key with clear errors', () => {
  assert.throws(() => md5Crypt('admin', 'bad$salt'), /salt/);
  assert.throws(() => md5Crypt('x'.repeat(65), 'BQ5hoXV9'), /at most 64/);
});

test('v2 session: host password hash, sign and AES key', () => {
  const session = deriveV2Session('admin', { salt: 'BQ5hoXV9', newsalt: 'jbzkfQls', time: '8433' });
  assert.equal(session.hostPasswordHash, HOST_PASSWD.split('$')[3]);
  assert.equal(session.sign, HOST_SIGN.split('$')[3]);
  assert.equal(session.key.toString('hex'), AES_KEY_HEX);
});

test('v2 AES-256-ECB with NUL padding matches openssl enc', () => {
  const key = Buffer.from(AES_KEY_HEX, 'hex');
  assert.equal(encryptV2(key, POWER_OFF_PLAIN), POWER_OFF_ENC);
  assert.equal(decryptV2(key, POWER_OFF_ENC), POWER_OFF_PLAIN);
  assert.equal(encryptV2(key, REPLY_PLAIN), REPLY_ENC);
  assert.equal(decryptV2(key, REPLY_ENC), REPLY_PLAIN);
});

test('v2 sealed command is {"enc":1,"data":…} with the token inside', () => {
  const session = deriveV2Session('admin', { salt: 'BQ5hoXV9', newsalt: 'jbzkfQls', time: '8433' });
  const sealed = JSON.parse(sealV2Command(session, { cmd: 'power_off', respbefore: 'true' }));
  assert.deepEqual(sealed, { enc: 1, data: POWER_OFF_ENC });
});

test('v2 decrypt rejects a payload that is not whole AES blocks', () => {
  assert.throws(() => decryptV2(Buffer.alloc(32), Buffer.from('short').toString('base64')), /multiple of 16/);
});

test('v3 token is the first 8 base64 characters of SHA-256(cmd+password+salt+ts)', () => {
  assert.equal(v3Token('set.miner.service', 'super-secret', 'SaLt1234', 1700000000), V3_TOKEN);
  assert.deepEqual(signV3Command('set.miner.service', 'stop', { password: 'super-secret', salt: 'SaLt1234', ts: 1700000000 }), {
    cmd: 'set.miner.service', ts: 1700000000, token: V3_TOKEN, account: 'super', param: 'stop',
  });
});
