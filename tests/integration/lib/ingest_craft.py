#!/usr/bin/python3
"""ingest_craft.py - hostile request bodies for tests/integration/ingest_*.sh.

Every command writes OUT.zst (the body) and OUT.hdr (headers, curl -H @file);
the headers are consistent with the body (sizes, checksum, key) unless the
case is about a header, so each request fails for exactly one reason.

  ingest_craft.py rehash OUT RAW HDR           re-pack RAW under HDR's ids
  ingest_craft.py bomb OUT HDR GIB             GIB GiB of zeros, frame
                                               without a content size,
                                               headers claiming 4 KiB
  ingest_craft.py bomb-sized OUT HDR GIB       same with the content size
                                               in the frame header
  ingest_craft.py absurd OUT HDR KIND          one record declaring a huge
                                               length (array32, map32,
                                               str32, bin32, nested)
  ingest_craft.py header OUT IN NAME VALUE     IN with one header replaced
                                               (VALUE "-" removes it)
  ingest_craft.py hostid OUT RAW HDR HOST      RAW's records with "hid"
                                               HOST, headers unchanged
  ingest_craft.py truncate OUT IN NBYTES       IN's body cut to NBYTES
  ingest_craft.py garbage OUT IN               random bytes as the body
"""
import os
import sys

import msgpack
import zstandard


def read_hdr(path):
    hdr = []
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line:
                k, v = line.split(": ", 1)
                hdr.append([k, v])
    return hdr


def write_hdr(path, hdr):
    with open(path, "w") as f:
        for k, v in hdr:
            f.write("%s: %s\n" % (k, v))


def set_hdr(hdr, name, value):
    for kv in hdr:
        if kv[0].lower() == name.lower():
            kv[1] = value
            return
    hdr.append([name, value])


def del_hdr(hdr, name):
    hdr[:] = [kv for kv in hdr if kv[0].lower() != name.lower()]


def xxh3_64(data):
    """XXH3-64, seed 0, from libxxhash (Debian's python3-xxhash is old)."""
    import ctypes
    lib = ctypes.CDLL("libxxhash.so.0")
    lib.XXH3_64bits.restype = ctypes.c_uint64
    lib.XXH3_64bits.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
    return lib.XXH3_64bits(data, len(data))


def pack(out, raw, hdr, records=None, size=True):
    cctx = zstandard.ZstdCompressor(level=3, write_checksum=True,
                                    write_content_size=size)
    with open(out + ".zst", "wb") as f:
        f.write(cctx.compress(raw))
    set_hdr(hdr, "X-Estel-Raw-Bytes", str(len(raw)))
    set_hdr(hdr, "X-Estel-Checksum", "%016x" % xxh3_64(raw))
    if records is not None:
        set_hdr(hdr, "X-Estel-Records", str(records))
    write_hdr(out + ".hdr", hdr)


def body_of(prefix):
    with open(prefix + ".zst", "rb") as f:
        return f.read()


def cmd_bomb(out, hdr_path, gib, sized):
    """A frame of GIB GiB of zeros: ~GIB*40 KiB compressed."""
    total = int(gib) << 30
    cctx = zstandard.ZstdCompressor(level=1, write_checksum=True,
                                    write_content_size=sized)
    zero = bytes(1 << 20)
    with open(out + ".zst", "wb") as f:
        if sized:
            w = cctx.stream_writer(f, size=total, closefd=False)
        else:
            w = cctx.stream_writer(f, closefd=False)
        for _ in range(total >> 20):
            w.write(zero)
        w.flush(zstandard.FLUSH_FRAME)
    hdr = read_hdr(hdr_path)
    set_hdr(hdr, "X-Estel-Raw-Bytes", "4096")
    set_hdr(hdr, "X-Estel-Records", "1")
    write_hdr(out + ".hdr", hdr)


def cmd_absurd(out, hdr_path, kind):
    """One 'record' whose declared length dwarfs the batch."""
    huge = b"\xff\xff\xff\xf0"
    raw = {
        "array32": b"\xdd" + huge,
        "map32": b"\xdf" + huge,
        "str32": b"\xdb" + huge + b"x" * 16,
        "bin32": b"\xc6" + huge + b"y" * 16,
        "ext32": b"\xc9" + huge + b"\x01" + b"z" * 16,
        # a valid-looking record whose "e" declares 2^32-16 pairs
        "nested": b"\x82\xa1v\x01\xa1e\xdf" + huge,
        # 40 levels of arrays: deeper than any reader allows
        "deep": b"\x91" * 40 + b"\xc0",
    }[kind]
    raw += b"\x00" * 64     # a little room, far from the declared size
    pack(out, raw, read_hdr(hdr_path), records=1)


def cmd_hostid(out, raw_path, hdr_path, host):
    recs = []
    with open(raw_path, "rb") as f:
        for r in msgpack.Unpacker(f, raw=False, strict_map_key=False):
            r["hid"] = host
            recs.append(msgpack.packb(r, use_bin_type=True))
    pack(out, b"".join(recs), read_hdr(hdr_path), records=len(recs))


def main(argv):
    cmd, out = argv[1], argv[2]
    if cmd == "rehash":
        with open(argv[3], "rb") as f:
            pack(out, f.read(), read_hdr(argv[4]))
    elif cmd == "bomb":
        cmd_bomb(out, argv[3], argv[4], False)
    elif cmd == "bomb-sized":
        cmd_bomb(out, argv[3], argv[4], True)
    elif cmd == "absurd":
        cmd_absurd(out, argv[3], argv[4])
    elif cmd == "header":
        hdr = read_hdr(argv[3] + ".hdr")
        if argv[5] == "-":
            del_hdr(hdr, argv[4])
        else:
            set_hdr(hdr, argv[4], argv[5])
        write_hdr(out + ".hdr", hdr)
        with open(out + ".zst", "wb") as f:
            f.write(body_of(argv[3]))
    elif cmd == "hostid":
        cmd_hostid(out, argv[3], argv[4], argv[5])
    elif cmd == "truncate":
        write_hdr(out + ".hdr", read_hdr(argv[3] + ".hdr"))
        with open(out + ".zst", "wb") as f:
            f.write(body_of(argv[3])[:int(argv[4])])
    elif cmd == "garbage":
        write_hdr(out + ".hdr", read_hdr(argv[3] + ".hdr"))
        with open(out + ".zst", "wb") as f:
            f.write(os.urandom(len(body_of(argv[3]))))
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main(sys.argv)
