# A Python CPU + allocation workload (bench/dynamic): JSON round trips,
# dict and str churn, a sort; prints the seconds its loop took (perf_counter),
# so that start-up is not part of the figure.
import json, time
t0 = time.perf_counter()
total = 0
for i in range(300):
    doc = {"id": i, "name": "item-%d" % i, "tags": ["t%d" % (i % 7), "x" * (i % 13)],
           "values": [j * 0.5 for j in range(50)], "nested": {"a": {"b": [i, i + 1, {"c": "d"}]}}}
    for _ in range(20):
        doc = json.loads(json.dumps(doc))
    d = {}
    for k in range(2000):
        d["k%d" % (k * 7 % 1999)] = ("v" + str(k)) * 3
    total += len(d) + len(sorted(d.values())[0]) + len(doc["values"])
print("%.6f %d" % (time.perf_counter() - t0, total))
