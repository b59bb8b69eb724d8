#!/usr/bin/python3
"""A Modbus TCP server we did not write (pymodbus 3.x, Debian's python3-pymodbus),
for the meter driver's interop test.

Usage: pymodbus-server.py HOST 'JSON'
JSON is a list of {"unit", "fn" (3|4), "address", "type", "wordOrder", "raw"};
float raws may be strings such as "nan" or "inf".
Each raw value is encoded by pymodbus's own BinaryPayloadBuilder (bytes
big-endian as Modbus requires, word order as given), so the driver's decoder
is checked against an independent encoder. Addresses are protocol addresses
(zero_mode=True). Prints one JSON line {"port": N} once listening, and exits
when stdin closes, so a crashed test never leaves it behind.
"""
import asyncio
import json
import os
import sys
import threading

from pymodbus.constants import Endian
from pymodbus.datastore import ModbusServerContext, ModbusSlaveContext, ModbusSparseDataBlock
from pymodbus.payload import BinaryPayloadBuilder
from pymodbus.server.async_io import ModbusTcpServer

ADDERS = {
    "int16": "add_16bit_int",
    "uint16": "add_16bit_uint",
    "int32": "add_32bit_int",
    "uint32": "add_32bit_uint",
    "float32": "add_32bit_float",
    "int64": "add_64bit_int",
    "uint64": "add_64bit_uint",
    "float64": "add_64bit_float",
}


def encode(spec):
    word_order = Endian.Big if spec["wordOrder"] == "big" else Endian.Little
    builder = BinaryPayloadBuilder(byteorder=Endian.Big, wordorder=word_order)
    raw = spec["raw"]
    # JSON has no NaN/Infinity: the test sends them as strings ("nan", "inf").
    if spec["type"].startswith("float"):
        raw = float(raw)
    getattr(builder, ADDERS[spec["type"]])(raw)
    return builder.to_registers()


def build_context(specs):
    blocks = {}
    for spec in specs:
        unit = blocks.setdefault(spec["unit"], {3: {}, 4: {}})
        for offset, word in enumerate(encode(spec)):
            unit[spec["fn"]][spec["address"] + offset] = word
    slaves = {
        unit: ModbusSlaveContext(
            hr=ModbusSparseDataBlock(regs[3] or {0xFFFF: 0}),
            ir=ModbusSparseDataBlock(regs[4] or {0xFFFF: 0}),
            zero_mode=True,
        )
        for unit, regs in blocks.items()
    }
    return ModbusServerContext(slaves=slaves, single=False)


def exit_when_stdin_closes():
    sys.stdin.read()
    os._exit(0)


async def main():
    host, specs = sys.argv[1], json.loads(sys.argv[2])
    server = ModbusTcpServer(build_context(specs), address=(host, 0))
    task = asyncio.ensure_future(server.serve_forever())
    await server.serving
    port = server.server.sockets[0].getsockname()[1]
    print(json.dumps({"port": port}), flush=True)
    await task


if __name__ == "__main__":
    threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
    asyncio.run(main())
