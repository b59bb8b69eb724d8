#!/usr/bin/python3
"""Reads float32 big-word-order registers from a Modbus TCP server with pymodbus's
client and decoder (Debian python3-pymodbus 3.0), for the emulated meter's
interop test: a client we did not write decoding what our emulator encodes.

Usage: pymodbus-read.py HOST PORT UNIT 'JSON'
JSON is a list of {"fn": 3|4, "address": N}. Prints a JSON list with one
float (or {"error": text}) per entry.
"""
import json
import sys

from pymodbus.client import ModbusTcpClient
from pymodbus.constants import Endian
from pymodbus.payload import BinaryPayloadDecoder

host, port, unit, reads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4])
client = ModbusTcpClient(host, port=port, timeout=5)
if not client.connect():
    print(json.dumps([{"error": "connect failed"}] * len(reads)))
    sys.exit(0)
out = []
for r in reads:
    read = client.read_input_registers if r["fn"] == 4 else client.read_holding_registers
    rr = read(r["address"], 2, slave=unit)
    if rr.isError():
        out.append({"error": str(rr)})
        continue
    decoder = BinaryPayloadDecoder.fromRegisters(rr.registers, byteorder=Endian.Big, wordorder=Endian.Big)
    out.append(decoder.decode_32bit_float())
client.close()
print(json.dumps(out))
