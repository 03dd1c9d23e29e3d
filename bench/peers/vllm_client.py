"""A benchmark peer for bench/loadgen-vs-vllm.ts: a client that times requests the way vLLM's benchmark request
function does (vllm/benchmarks/lib/endpoint_request_func.py, async_request_openai_completions, at vLLM commit
02cfb534), rewritten here for the side-by-side measurement (not project code, not a copy):

- the clock starts (time.perf_counter) before the request is handed to aiohttp's session.post, so connection
  acquisition and connect are inside TTFT and E2EL;
- the body is read with response.content.iter_any(), each read stripped, bytes decoded incrementally and split into
  SSE messages on blank lines (a trailing message counts once its payload parses); every message is json-decoded; a message with non-empty `choices` is a chunk (TTFT at the first one,
  ITL between the next ones), a `usage` message gives completion_tokens;
- latency ends at the last chunk; concurrency is a semaphore around each request (vLLM's --max-concurrency) with
  every request scheduled at once (request rate inf).

Prints one JSON line: per-request ttft/latency/itl (seconds), chunks, process CPU seconds over the load, wall time, and
per request its clock start and chunk read times on the epoch clock (ms, time.time()'s; the emulator stamps its records
on the same clock), from which the caller matches each request to the server's chunk writes.
Run: python3 bench/peers/vllm_client.py URL MODEL NUM_PROMPTS CONCURRENCY OUTPUT_LEN [--no-stream] [--warmup]
       [--num-warmups K] [--measure-pause]
(--warmup: max(1024, CONCURRENCY) unmeasured requests first, max(256, CONCURRENCY) at once, in its own session, then DELETE /benchops/records
and 0.5 s idle; --num-warmups K: vLLM's --num-warmups, K requests under the run's semaphore on the measured session
itself — vLLM's serve.py warms up on the one session it measures with, so the run reuses those connections — then
DELETE /benchops/records; --measure-pause: 0.3 s after printing MEASURE on stderr, for a profiler to attach)
"""
import asyncio
import codecs
import json
import os
import sys
import time

import aiohttp


def split_messages(state, data):
    """Appends decoded bytes to the buffer and returns the complete SSE messages (vLLM splits on blank lines)."""
    state["buf"] += state["dec"].decode(data)
    out = []
    while "\n\n" in state["buf"]:
        msg, state["buf"] = state["buf"].split("\n\n", 1)
        msg = msg.strip()
        if msg:
            out.append(msg)
    # each read was stripped of its trailing blank line (as vLLM strips it), so a complete last message is recognised
    # by its payload parsing as JSON (or being [DONE]), as vLLM's StreamedResponseHandler does
    if state["buf"].startswith("data: "):
        content = state["buf"][len("data: "):].strip()
        if content == "[DONE]":
            out.append(state["buf"].strip())
            state["buf"] = ""
        elif content:
            try:
                json.loads(content)
                out.append(state["buf"].strip())
                state["buf"] = ""
            except json.JSONDecodeError:
                pass
    return out


async def one(session, url, model, prompt, output_len, stream):
    payload = {"model": model, "prompt": prompt, "max_tokens": output_len, "ignore_eos": True, "temperature": 0.0, "stream": stream}
    if stream:
        payload["stream_options"] = {"include_usage": True}
    res = {"ttft": 0.0, "itl": [], "latency": 0.0, "chunks": 0, "ok": False, "output_tokens": 0, "reads": []}
    st = time.perf_counter()
    res["start"] = st
    last = st
    try:
        async with session.post(url=url, json=payload) as r:
            if r.status != 200:
                return res
            if not stream:
                body = await r.json()
                res["latency"] = res["ttft"] = time.perf_counter() - st
                res["output_tokens"] = body.get("usage", {}).get("completion_tokens", 0)
                res["ok"] = True
                return res
            state = {"buf": "", "dec": codecs.getincrementaldecoder("utf-8")()}
            async for data in r.content.iter_any():
                data = data.strip()
                if not data:
                    continue
                for msg in split_messages(state, data):
                    if msg.startswith(":"):
                        continue
                    chunk = msg[len("data: "):] if msg.startswith("data: ") else msg
                    if chunk == "[DONE]":
                        continue
                    obj = json.loads(chunk)
                    if obj.get("choices"):
                        now = time.perf_counter()
                        res["reads"].append(now)
                        if res["chunks"] == 0:
                            res["ttft"] = now - st
                        else:
                            res["itl"].append(now - last)
                        last = now
                        res["chunks"] += 1
                    elif obj.get("usage"):
                        res["output_tokens"] = obj["usage"].get("completion_tokens", 0)
            res["ok"] = res["chunks"] > 0
            res["latency"] = last - st
    except Exception as e:  # counted as a failure, like vLLM's function
        res["error"] = repr(e)
    return res


# perf_counter (what the request function times with) → the epoch clock the emulator stamps its records on
CLOCK = time.time() - time.perf_counter()


async def main():
    url, model, n, conc, out_len = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    stream = "--no-stream" not in sys.argv
    if "--warmup" in sys.argv:
        # one unmeasured wave in its own session (the measured run connects anew), its records cleared from the server
        async with aiohttp.ClientSession() as warm:
            wsem = asyncio.Semaphore(max(256, conc))

            async def wlimited(i):
                async with wsem:
                    return await one(warm, url, model, f" ba be bi {i}", out_len, stream)

            await asyncio.gather(*[wlimited(i) for i in range(max(1024, conc))])
            async with warm.delete(url.split("/v1/")[0] + "/benchops/records"):
                pass
        # idle as long as the benchops client does after its warm-up (bench/loadgen-vs-vllm.ts SETTLE_MS)
        await asyncio.sleep(0.5)
    sem = asyncio.Semaphore(conc)
    num_warmups = int(sys.argv[sys.argv.index("--num-warmups") + 1]) if "--num-warmups" in sys.argv else 0
    # vLLM's client: one session, a connector without a per-host limit beyond the concurrency
    conn = aiohttp.TCPConnector(limit=conc, limit_per_host=conc, ttl_dns_cache=300, keepalive_timeout=60)
    async with aiohttp.ClientSession(connector=conn, timeout=aiohttp.ClientTimeout(total=6 * 60 * 60)) as session:
        async def limited(i):
            async with sem:
                return await one(session, url, model, f" ba be bi {i}", out_len, stream)

        if num_warmups > 0:
            # vLLM's --num-warmups: on the measured session, under the same semaphore; not measured
            await asyncio.gather(*[limited(i) for i in range(num_warmups)])
            async with session.delete(url.split("/v1/")[0] + "/benchops/records"):
                pass

        # the measured part begins (bench/loadgen-burst.ts attaches perf here)
        print("MEASURE", file=sys.stderr, flush=True)
        if "--measure-pause" in sys.argv:
            await asyncio.sleep(0.3)
        c0 = time.process_time()
        s0 = os.times().system
        w0 = time.perf_counter()
        results = await asyncio.gather(*[limited(i) for i in range(n)])
        wall = time.perf_counter() - w0
        cpu = time.process_time() - c0
        sys_cpu = os.times().system - s0
    ok = [r for r in results if r["ok"]]
    print(json.dumps({
        "completed": len(ok),
        "failed": len(results) - len(ok),
        "ttfts": [r["ttft"] for r in ok],
        "latencies": [r["latency"] for r in ok],
        "itls": [x for r in ok for x in r["itl"]],
        "chunks": sum(r["chunks"] for r in ok),
        # per request on the epoch clock (ms), for matching to the emulator's per-chunk records (bench/common.ts)
        "reqs": [{"startMs": (CLOCK + r["start"]) * 1000, "readsMs": [(CLOCK + t) * 1000 for t in r["reads"]]} for r in ok],
        "cpu_s": cpu,
        "sys_s": sys_cpu,
        "wall_s": wall,
    }))


if __name__ == "__main__":
    asyncio.run(main())
