# Writes the hostile-archive corpus of /work/shared/testdata/README.md ("Hostile
# archives") for extract_test.cpp. Usage: hostile.py <base-dir>
# Each case gets <base>/<case>/ holding the archive, VICTIM.txt, a directory
# `swapped/` that absolute links point at, and outer/inner/ where the test puts
# dest (outer/inner/dest), so that '../../../X' would land in <base>/<case>/X and
# '@' (replaced by <base>/<case>) makes absolute paths that stay inside the test's
# own temporary directory: nothing here can touch the real /tmp or /etc.
import io, os, stat, struct, sys, tarfile, zipfile, zlib

base = sys.argv[1]
MiB = 1 << 20
BOMB = 2 << 30  # 2 GiB of zeros

# Deflate of 1 MiB of zeros, ending in a full flush: after it the compressor holds
# no history, so the same bytes encode every further MiB. This writes a 2 GiB bomb
# (~2 MB compressed at the ratio of gzip -9) in a second instead of minutes.
_co = zlib.compressobj(9, zlib.DEFLATED, -15)
ZERO_MIB = _co.compress(bytes(MiB)) + _co.flush(zlib.Z_FULL_FLUSH)


def case(name):
    d = os.path.join(base, name)
    os.makedirs(os.path.join(d, 'outer', 'inner'))
    os.makedirs(os.path.join(d, 'swapped'))
    with open(os.path.join(d, 'VICTIM.txt'), 'w') as f:
        f.write('victim\n')
    return d


def tar_bomb(d):
    ti = tarfile.TarInfo('zeros')
    ti.size = BOMB
    ti.mtime = 1600000000
    hdr = ti.tobuf(tarfile.GNU_FORMAT, 'utf-8', 'surrogateescape')
    total = len(hdr) + BOMB + 1024
    tail = bytes(1024 + (-total) % 10240)
    total += len(tail) - 1024
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    crc = zlib.crc32(hdr)
    zero = bytes(MiB)
    with open(os.path.join(d, 'archive.tar.gz'), 'wb') as f:
        f.write(b'\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03')
        f.write(co.compress(hdr) + co.flush(zlib.Z_FULL_FLUSH))
        for _ in range(BOMB // MiB):
            f.write(ZERO_MIB)
            crc = zlib.crc32(zero, crc)
        f.write(co.compress(tail) + co.flush(zlib.Z_FINISH))
        crc = zlib.crc32(tail, crc)
        f.write(struct.pack('<II', crc & 0xffffffff, total & 0xffffffff))


def tar(name, entries, fmt=tarfile.PAX_FORMAT):
    d = case(name)
    if entries == 'bomb':
        return tar_bomb(d)
    with tarfile.open(os.path.join(d, 'archive.tar.gz'), 'w:gz', format=fmt, encoding='utf-8',
                      errors='surrogateescape') as t:
        for e in entries:
            kind, nm = e[0], e[1].replace('@', d)
            ti = tarfile.TarInfo(nm)
            ti.mtime = 1600000000
            if kind == 'f':
                data = e[2].encode()
                ti.size = len(data)
                ti.mode = e[3] if len(e) > 3 else 0o644
                t.addfile(ti, io.BytesIO(data))
                continue
            if kind == 'd':
                ti.type, ti.mode = tarfile.DIRTYPE, (e[2] if len(e) > 2 else 0o755)
            elif kind == 'l':
                ti.type, ti.linkname = tarfile.SYMTYPE, e[2].replace('@', d)
            elif kind == 'h':
                ti.type, ti.linkname = tarfile.LNKTYPE, e[2].replace('@', d)
            elif kind == 'c':
                ti.type, ti.devmajor, ti.devminor = tarfile.CHRTYPE, 1, 3
            elif kind == 'p':
                ti.type = tarfile.FIFOTYPE
            t.addfile(ti)


class ZeroMiBCompressor:
    """Stands in for zlib in zipfile: every write is 1 MiB of zeros."""
    def compress(self, data):
        assert len(data) == MiB and not any(data[:64])
        return ZERO_MIB

    def flush(self):
        return zlib.compressobj(9, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)


def zip_(name, entries):
    d = case(name)
    with zipfile.ZipFile(os.path.join(d, 'archive.zip'), 'w') as z:
        if entries == 'bomb':
            real = zipfile._get_compressor
            zipfile._get_compressor = lambda *a, **k: ZeroMiBCompressor()
            zi = zipfile.ZipInfo('zeros', date_time=(2020, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            with z.open(zi, 'w', force_zip64=True) as f:
                zero = bytes(MiB)
                for _ in range(BOMB // MiB):
                    f.write(zero)
            zipfile._get_compressor = real
            return
        for e in entries:
            kind, nm = e[0], e[1].replace('@', d)
            zi = zipfile.ZipInfo(nm, date_time=(2020, 1, 1, 0, 0, 0))
            zi.create_system = 3
            zi.compress_type = zipfile.ZIP_DEFLATED
            if kind == 'f':
                zi.external_attr = (stat.S_IFREG | (e[3] if len(e) > 3 else 0o644)) << 16
                z.writestr(zi, e[2])
            elif kind == 'd':
                zi = zipfile.ZipInfo(nm.rstrip('/') + '/', date_time=(2020, 1, 1, 0, 0, 0))
                zi.create_system = 3
                zi.external_attr = ((stat.S_IFDIR | (e[2] if len(e) > 2 else 0o755)) << 16) | 0x10
                z.writestr(zi, b'')
            elif kind == 'l':
                zi.external_attr = (stat.S_IFLNK | 0o777) << 16
                z.writestr(zi, e[2].replace('@', d))


common = {
    'dotdot': [('f', '../../../PWNED.txt', 'pwned')],
    'absolute': [('f', '@/PWNED.txt', 'pwned')],
    'backslash': [('f', '..\\..\\..\\PWNED.txt', 'pwned')],
    # Links are data: recreated as archived, never written through.
    'data-symlink-passwd': [('l', 'passwd', '/etc/passwd')],
    'data-symlink-environ': [('l', 'env', '/proc/self/environ')],
    'data-symlink-root': [('l', 'root', '/')],
    'symlink-escape': [('l', 'up', '../../..'), ('f', 'up/PWNED.txt', 'pwned')],
    'symlink-inside-then-write': [('l', 's', '.'), ('f', 's/PWNED.txt', 'pwned')],
    'dir-swapped-for-link': [('d', 'd/sub'), ('l', 'd/sub', '@/swapped'), ('f', 'd/sub/PWNED.txt', 'pwned')],
    'dir-swapped-for-relative-link': [('d', 'd/sub'), ('l', 'd/sub', '..'), ('f', 'd/sub/PWNED.txt', 'pwned')],
    'data-case-collision': [('l', 'LINK', '@/swapped'), ('f', 'link/PWNED.txt', 'pwned'), ('f', 'caf\u00e9', 'nfc'),
                       ('f', 'cafe\u0301', 'nfd'), ('f', '\ufb01le', 'ligature'), ('f', 'file', 'plain')],
    'bomb': 'bomb',
}
tar_only = {
    'hardlink-exfiltration': [('h', 'passwd', '/etc/passwd')],
    'hardlink-overwrite': [('h', 'hl', '@/VICTIM.txt'), ('f', 'hl', 'PWNED')],
    'hardlink-overwrite-relative': [('h', 'hl', '../../../VICTIM.txt'), ('f', 'hl', 'PWNED')],
    'hardlink-forward': [('h', 'hl', 'later.txt'), ('f', 'later.txt', 'x')],
    'device': [('c', 'null')],
    'fifo': [('p', 'fifo')],
}
read_only = [('d', 'ro', 0o555), ('f', 'ro/file.txt', 'read-only', 0o444), ('f', 'setuid', 'x', 0o4755),
             ('f', 'plain.txt', 'plain')]

for name, entries in {**common, **tar_only}.items():
    tar('tar-' + name, entries)
tar('tar-data-invalid-utf8', [('f', b'bad\xff.txt'.decode('utf-8', 'surrogateescape'), 'x')], fmt=tarfile.GNU_FORMAT)
for name, entries in common.items():
    zip_('zip-' + name, entries)
tar('ok-tar-read-only', read_only)
zip_('ok-zip-read-only', read_only)
