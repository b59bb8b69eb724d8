#!/usr/bin/python3
"""A minimal hashwatt agent written from docs/protocol.md alone, in another
language than the project, for the conformance kit's tests.

Speaks MQTT with paho-mqtt and verifies Ed25519 signatures over RFC 8785 (JCS)
with python3-cryptography (both Debian packages). Simulates its miners: each
draws MINER_KW while hashing; curtailment puts some to sleep.

--insecure-skip-verify makes it accept controls without checking signatures,
--broken-no-replay forgets unacknowledged messages on reconnect and
--broken-no-will connects without a Will: the kinds of agent the conformance
kit must fail.
"""
import argparse
import base64
import decimal
import json
import os
import sys
import threading
import time

import paho.mqtt.client as mqtt
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.serialization import load_pem_public_key

MINER_KW = 3.25
MODES = ('max_kw', 'shed_kw', 'sleep_count', 'full', 'none')


def now_ms():
    return int(time.time() * 1000)


# ---- RFC 8785 (docs/protocol.md#canonical-form-rfc-8785) ----

def es_number(x):
    """ECMAScript Number.prototype.toString of a double (RFC 8785 §3.2.2.3)."""
    if isinstance(x, bool):
        raise ValueError('not a number')
    if isinstance(x, int):
        x = float(x)
    if x != x or x in (float('inf'), float('-inf')):
        raise ValueError('NaN and Infinity cannot be canonicalized')
    if x == 0:
        return '0'
    sign = '-' if x < 0 else ''
    # repr gives the shortest digits that round-trip, as ECMAScript asks.
    _, digits, exp = decimal.Decimal(repr(abs(x))).as_tuple()
    ds = ''.join(map(str, digits)).rstrip('0')
    exp += len(digits) - len(ds)
    k = len(ds)
    n = k + exp
    if k <= n <= 21:
        out = ds + '0' * (n - k)
    elif 0 < n <= 21:
        out = ds[:n] + '.' + ds[n:]
    elif -6 < n <= 0:
        out = '0.' + '0' * (-n) + ds
    else:
        e = n - 1
        mant = ds if k == 1 else ds[0] + '.' + ds[1:]
        out = mant + 'e' + ('+' if e >= 0 else '-') + str(abs(e))
    return sign + out


def jcs(value):
    if value is None:
        return 'null'
    if value is True:
        return 'true'
    if value is False:
        return 'false'
    if isinstance(value, (int, float)):
        return es_number(value)
    if isinstance(value, str):
        value.encode('utf-8')  # raises on a lone surrogate (I-JSON)
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return '[' + ','.join(jcs(v) for v in value) + ']'
    if isinstance(value, dict):
        keys = sorted(value.keys(), key=lambda k: k.encode('utf-16-be', 'surrogatepass'))
        return '{' + ','.join(jcs(k) + ':' + jcs(value[k]) for k in keys) + '}'
    raise ValueError('not JSON: %r' % type(value))


# ---- the agent ----

class Agent:
    def __init__(self, args):
        self.args = args
        self.site, self.agent = args.site, args.agent
        self.root = 'hashwatt/v1/%s/%s' % (self.site, self.agent)
        with open(args.public_key, 'rb') as f:
            self.key = load_pem_public_key(f.read())
        os.makedirs(args.state_dir, exist_ok=True)
        session_file = os.path.join(args.state_dir, 'session')
        previous = int(open(session_file).read()) if os.path.exists(session_file) else 0
        self.session = previous + 1  # docs: incremented at every start, persisted
        with open(session_file, 'w') as f:
            f.write(str(self.session))
        self.seq = 0
        self.outbox = {}  # (session, seq) -> {'body': dict, 'sent': bool}
        self.lock = threading.RLock()
        self.control = None
        self.asleep = 0
        self.connected = False
        self.client = mqtt.Client(client_id='hashwatt-agent-%s-%s' % (self.site, self.agent), clean_session=True, protocol=mqtt.MQTTv311)
        if not args.broken_no_will:
            self.client.will_set(self.root + '/state', self.state_payload(False), qos=1, retain=True)
        self.client.on_connect = self.on_connect
        self.client.on_disconnect = self.on_disconnect
        self.client.on_message = self.on_message
        self.client.reconnect_delay_set(min_delay=1, max_delay=2)

    def state_payload(self, online):
        return json.dumps({'v': 1, 'site': self.site, 'agent': self.agent, 'online': online, 'session': self.session, 'ts': now_ms()})

    def publish(self, suffix, body, retain=False):
        self.client.publish(self.root + '/' + suffix, json.dumps(body), qos=1, retain=retain)

    # -- connection --

    def on_connect(self, client, userdata, flags, rc):
        if rc != 0:
            return
        client.subscribe([(self.root + '/control', 1), (self.root + '/telemetry/ack', 1), ('hashwatt/v1/_collector/state', 1)])
        client.publish(self.root + '/state', self.state_payload(True), qos=1, retain=True)
        n = self.args.miners
        self.publish('birth', {
            'v': 1, 'site': self.site, 'agent': self.agent, 'session': self.session, 'ts': now_ms(),
            'agentVersion': 'python-minimal-0.1', 'agentClock': now_ms(),
            'miners': {'total': n, 'byModel': [{'make': 'Bitmain', 'model': 'Antminer S19', 'firmware': 'simulated', 'count': n, 'nominalKw': n * MINER_KW}]},
            'nameplateKw': n * MINER_KW, 'meter': {'present': False},
            'curtail': {'modes': list(MODES), 'strategies': ['least_efficient_first'], 'levels': ['sleep'], 'sleepCapable': n, 'powerTargetCapable': 0},
            'pollIntervalS': self.args.interval,
        }, retain=True)
        with self.lock:
            self.connected = True
            # Everything not acknowledged goes again, oldest first, marked historical.
            if self.args.broken_no_replay:
                self.outbox.clear()
            for key in sorted(self.outbox):
                row = self.outbox[key]
                body = dict(row['body'], historical=True) if row['suffix'] == 'telemetry' else row['body']
                self.publish(row['suffix'], body)
                row['sent'] = True

    def on_disconnect(self, client, userdata, rc):
        with self.lock:
            self.connected = False

    def on_message(self, client, userdata, msg):
        try:
            if msg.topic.endswith('/telemetry/ack'):
                ack = json.loads(msg.payload)
                with self.lock:
                    for key in [k for k, row in self.outbox.items() if k[0] == ack['session'] and k[1] <= ack['seq'] and row['sent']]:
                        del self.outbox[key]
            elif msg.topic.endswith('/control'):
                self.handle_control(msg.payload)
        except Exception as err:  # a handler never dies on bad input
            print('hashwatt_agent: message on %s failed: %s' % (msg.topic, err), file=sys.stderr)

    # -- controls (docs/protocol.md#control-handling-order-of-checks-and-refusal-reasons) --

    def report(self, revision, status, **extra):
        # Reports take the next seq of the session, like telemetry, and stay in the outbox until acked.
        with self.lock:
            self.seq += 1
            body = {'v': 1, 'site': self.site, 'agent': self.agent, 'revision': revision, 'status': status, 'ts': now_ms(), 'session': self.session, 'seq': self.seq}
            body.update({k: v for k, v in extra.items() if v is not None})
            self.store_and_send('control/report', body)

    def store_and_send(self, suffix, body):
        """Stored before it is published; deleted only by an ack."""
        self.outbox[(body['session'], body['seq'])] = {'suffix': suffix, 'body': body, 'sent': self.connected}
        if self.connected:
            self.publish(suffix, body)

    def refusal(self, c):
        need = {'revision': int, 'issuedAt': int, 'validFrom': int, 'validUntil': int, 'mode': str, 'rampSeconds': (int, float), 'priority': str, 'reason': str, 'eventIds': list}
        if not isinstance(c, dict) or c.get('v') != 1:
            return 'invalid', 'not a v1 JSON object'
        for field, kind in need.items():
            if not isinstance(c.get(field), kind) or isinstance(c.get(field), bool):
                return 'invalid', 'field %s is missing or of the wrong type' % field
        if c['mode'] not in MODES or c['validUntil'] <= c['validFrom'] or c['revision'] < 1:
            return 'invalid', 'mode, validity window or revision out of range'
        if c['mode'] in ('max_kw', 'shed_kw', 'sleep_count') and not isinstance(c.get('value'), (int, float)):
            return 'invalid', '%s needs a value' % c['mode']
        if c.get('site') != self.site or c.get('agent') != self.agent:
            return 'wrong_target', 'control is for %s/%s' % (c.get('site'), c.get('agent'))
        if not self.args.insecure_skip_verify:
            sig = c.get('sig')
            if not sig:
                return 'unsigned', 'control has no signature'
            try:
                body = {k: v for k, v in c.items() if k != 'sig'}
                self.key.verify(base64.b64decode(sig, validate=True), jcs(body).encode('utf-8'))
            except (InvalidSignature, ValueError, UnicodeEncodeError) as err:
                return 'bad_signature', 'signature does not verify (%s)' % (type(err).__name__)
        return None, None

    def handle_control(self, payload):
        try:
            c = json.loads(payload)
        except ValueError:
            c = None
        revision = c.get('revision') if isinstance(c, dict) and isinstance(c.get('revision'), int) else 0
        with self.lock:
            if self.control and revision == self.control['revision']:
                return  # the retained copy of the control in force: a no-op
            self.report(revision, 'received')
            reason, detail = self.refusal(c)
            if reason is None and self.control and revision < self.control['revision']:
                reason, detail = 'stale', 'revision %d is older than %d in force' % (revision, self.control['revision'])
            if reason is None and c['validUntil'] <= now_ms():
                reason, detail = 'expired', 'validUntil has passed'
            if reason is None and c.get('level', 'sleep') != 'sleep':
                reason, detail = 'invalid', 'only level sleep is supported'
            if reason:
                self.report(revision, 'rejected', reason=reason, detail=detail)
                return
            self.control = dict(c, baselineKw=self.power_kw())
            self.report(revision, 'accepted')
            self.enforce()

    def power_kw(self):
        return round((self.args.miners - self.asleep) * MINER_KW, 3)

    def enforce(self):
        """Applies the control in force to the simulated miners and reports the outcome."""
        c = self.control
        if c is None:
            return
        n = self.args.miners
        ended = c['mode'] == 'none' or c['validUntil'] <= now_ms()
        if ended:
            self.asleep = 0
            if not c.get('released'):
                c['released'] = True
                self.report(c['revision'], 'released', achievedKw=self.power_kw(), minersAsleep=0)
            return
        if now_ms() < c['validFrom']:
            return
        mode, value = c['mode'], c.get('value')
        if mode == 'full':
            want, target = n, 0.0
        elif mode == 'sleep_count':
            want, target = min(n, int(value)), None
        else:
            target = value if mode == 'max_kw' else max(0.0, c['baselineKw'] - value)
            want = 0
            while want < n and (n - want) * MINER_KW > target:
                want += 1
        self.asleep = want
        status = 'holding' if target is None or self.power_kw() <= target else 'failed'
        if c.get('reported') != status:
            c['reported'] = status
            extra = {'reason': 'insufficient_capacity'} if status == 'failed' else {}
            self.report(c['revision'], status, achievedKw=self.power_kw(), targetKw=target, minersAsleep=self.asleep, **extra)

    # -- telemetry --

    def sample(self):
        with self.lock:
            self.enforce()
            self.seq += 1
            n, asleep = self.args.miners, self.asleep
            in_force = self.control['revision'] if self.control else None
            body = {
                'v': 1, 'site': self.site, 'agent': self.agent, 'session': self.session, 'seq': self.seq,
                'samples': [{
                    'ts': now_ms(), 'meterKw': None, 'meterKwh': None, 'minerKw': self.power_kw(),
                    'counts': {'hashing': n - asleep, 'idle': 0, 'sleeping': asleep, 'offline': 0, 'error': 0, 'total': n},
                    'hashrateThs': (n - asleep) * 95.0, 'revision': in_force, 'curtailedMiners': asleep,
                }],
            }
            self.store_and_send('telemetry', body)

    def run(self):
        url = self.args.broker.replace('mqtt://', '')
        host, _, port = url.partition(':')
        self.client.connect_async(host, int(port or 1883), keepalive=30)
        self.client.loop_start()
        try:
            while True:
                time.sleep(self.args.interval)
                self.sample()
        except KeyboardInterrupt:
            pass
        finally:
            self.client.publish(self.root + '/state', self.state_payload(False), qos=1, retain=True).wait_for_publish(2)
            self.client.disconnect()
            self.client.loop_stop()


def main():
    if sys.argv[1:] == ['--selftest-jcs']:
        print(jcs(json.loads(sys.stdin.read())), end='')
        return
    p = argparse.ArgumentParser(description='Minimal hashwatt agent (test fixture).')
    p.add_argument('--broker', required=True, help='mqtt://host:port')
    p.add_argument('--site', required=True)
    p.add_argument('--agent', required=True)
    p.add_argument('--public-key', required=True, help="the collector's Ed25519 public key (SPKI PEM)")
    p.add_argument('--state-dir', required=True, help='where the session counter is kept')
    p.add_argument('--miners', type=int, default=12)
    p.add_argument('--interval', type=float, default=1.0, help='seconds between samples')
    p.add_argument('--insecure-skip-verify', action='store_true', help='accept controls without checking signatures (a broken agent)')
    p.add_argument('--broken-no-replay', action='store_true', help='forget unacknowledged messages on reconnect (a broken agent)')
    p.add_argument('--broken-no-will', action='store_true', help='connect without a Will (a broken agent)')
    args = p.parse_args()
    Agent(args).run()


if __name__ == '__main__':
    main()
