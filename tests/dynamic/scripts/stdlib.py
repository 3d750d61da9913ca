import json, re, sqlite3, hashlib, zlib, threading, datetime, decimal, struct, sys
d = {"a": [1, 2.5, "x"], "b": {"c": None, "d": True}}
s = json.dumps(d, sort_keys=True); print(s, json.loads(s) == d)
print(re.findall(r"(\w+)=(\d+)", "a=1 b=22 c=333"))
con = sqlite3.connect(":memory:"); con.execute("create table t(x integer, y text)")
con.executemany("insert into t values (?, ?)", [(i, str(i * i)) for i in range(100)])
print(con.execute("select count(*), sum(x), max(y) from t").fetchone())
print(hashlib.sha256(b"shoal").hexdigest(), hashlib.md5(b"x").hexdigest())
z = zlib.compress(b"abc" * 1000); print(len(z), zlib.decompress(z)[:6], zlib.crc32(b"shoal"))
out = []
def work(n):
    out.append(sum(range(n)))
ts = [threading.Thread(target=work, args=(i * 1000,)) for i in range(4)]
[t.start() for t in ts]; [t.join() for t in ts]; print(sorted(out))
print(datetime.date(2024, 2, 29) + datetime.timedelta(days=365), datetime.datetime(2020, 1, 1, 12, 30).isoformat())
decimal.getcontext().prec = 30; print(decimal.Decimal(1) / decimal.Decimal(7))
print(struct.pack("<IhQ", 1, -2, 3).hex(), struct.unpack(">d", struct.pack(">d", 3.25)))
print(sys.version_info[:2], sys.executable)
