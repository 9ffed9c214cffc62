"""The live processes: two servers per policy, the load generator, the delay proxy, the link service.

Each process runs one asyncio loop (:func:`qcoord.live._wire.new_loop`) and talks to the parent
(:mod:`qcoord.live.runner`) over a ``multiprocessing`` pipe:

1. the process binds its listener (port 0: the kernel picks a free port) and sends ``("ready", port)``;
2. on ``("go", ports)`` it connects to its peers and sends ``("connected",)``;
3. on ``("start", epoch)`` it starts (the servers begin their baseline task at ``epoch``, the load
   generator sends pair ``n`` of policy group ``g`` at ``epoch + offset[g] + arrival[n] * unit``);
4. on ``("finish",)`` it sends ``("result", dict)`` and exits.

An exception is reported as ``("error", text)``; a closed pipe (the parent died) ends the process.

Time: real seconds of ``time.monotonic()``; ``unit`` = seconds per time unit of the scenario.
"""

from __future__ import annotations

import asyncio
import heapq
import os
import time
import traceback
from typing import Any

import numpy as np

from ._wire import HOST, BlockingClient, child_setup, decode, encode, new_loop

__all__ = ["child_main"]

KEEP, FORWARD = 0, 1
_now = time.monotonic


class Node:
    """Common life cycle of a live process (see the module notes)."""

    listens = True

    def __init__(self, conn: Any, spec: dict[str, Any]) -> None:
        self.conn = conn
        self.spec = spec
        self.loop = asyncio.get_event_loop()
        self.done = self.loop.create_future()
        self.port = 0

    # -- parent channel
    def send(self, *msg: Any) -> None:
        try:
            self.conn.send(msg)
        except (OSError, EOFError):  # parent gone
            os._exit(3)

    def _on_parent(self) -> None:
        try:
            msg = self.conn.recv()
        except (EOFError, OSError):
            os._exit(3)  # the parent died: never outlive it
        kind = msg[0]
        if kind == "go":
            self._spawn(self.go(msg[1]), "connected")
        elif kind == "start":
            self._spawn(self.start(float(msg[1])), None)
        elif kind == "finish":
            self._spawn(self.finish(), None)

    def _spawn(self, coro: Any, reply: str | None) -> None:
        async def wrap() -> None:
            try:
                await coro
                if reply:
                    self.send(reply)
            except Exception:
                self.fail()

        self.loop.create_task(wrap())

    def fail(self) -> None:
        self.send("error", traceback.format_exc(limit=6))
        if not self.done.done():
            self.done.set_result(None)

    async def run(self) -> None:
        self.loop.add_reader(self.conn.fileno(), self._on_parent)
        await self.setup()
        self.send("ready", self.port)
        await self.done

    async def finish(self) -> None:
        self.send("result", self.result())
        if not self.done.done():
            self.done.set_result(None)

    # -- hooks
    async def setup(self) -> None:
        pass

    async def go(self, ports: dict[str, Any]) -> None:
        pass

    async def start(self, epoch: float) -> None:
        pass

    def result(self) -> dict[str, Any]:
        return {}

    async def serve(self, handler: Any) -> None:
        server = await asyncio.start_server(handler, HOST, 0)
        self.port = int(server.sockets[0].getsockname()[1])
        self._server = server


# --------------------------------------------------------------------------- the delay proxy
class Proxy(Node):
    """Forwards messages between servers after a fixed delay per path (asyncio, 127.0.0.1).

    Paths: ``control`` (messages, latency ``D * unit``) and ``data`` (forwarded customers, hand-off
    delay ``d * unit``). A message stamped ``ts`` by its sender is written to its destination at
    ``ts + delay`` (the loopback hop to the proxy is part of that delay, not added to it); the
    receiver measures the latency it actually got.
    """

    async def setup(self) -> None:
        unit = float(self.spec["unit"])
        self.delay = {"control": float(self.spec["D"]) * unit, "data": float(self.spec["d"]) * unit}
        self.routes: dict[tuple[int, int], asyncio.StreamWriter] = {}
        self.count = {"control": 0, "data": 0}
        self.late: list[float] = []  # write time - due time, seconds
        await self.serve(self.handle)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self._handle(reader, writer)
        except Exception:
            self.fail()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        hello = decode(await reader.readline())
        self.routes[(int(hello["g"]), int(hello["j"]))] = writer
        while True:
            line = await reader.readline()
            if not line:
                return
            msg = decode(line)
            path = msg["path"]
            self.count[path] += 1
            due = float(msg["ts"]) + self.delay[path]
            dest = (int(msg["to"][0]), int(msg["to"][1]))
            out = encode({"t": path, "ts": msg["ts"], "due": due, "body": msg["body"]})
            self.loop.call_at(due, self._deliver, dest, out, due)

    def _deliver(self, dest: tuple[int, int], out: bytes, due: float) -> None:
        self.late.append(_now() - due)
        self.routes[dest].write(out)

    def result(self) -> dict[str, Any]:
        return {"count": self.count, "late": self.late}


# --------------------------------------------------------------------------- the entanglement link
class Link(Node):
    """The entanglement link service: plays the physics of the shared pairs.

    For each entangled policy group it holds the strategy's Born-rule sampler
    (:func:`qcoord.entanglement.sampler`) and, for a pool-backed policy, the policy's
    :class:`~qcoord.entanglement.EntanglementPool`. Pair ``k`` is created when one of its halves is
    first touched (heralded or measured) at real time ``tau`` (time units since the group's
    epoch): the pool serves that request (availability and visibility after storage), and the pair
    becomes an :class:`~qcoord.entanglement.sampling.EntangledPair` with the common-random-number
    uniforms ``u1[k], u2[k]`` of the simulator's inputs. Whichever half is measured *first in real
    time* draws from its marginal, the other from its conditional law (the post-measurement state):
    the joint law is the Born rule in either order, and neither server ever learns the other's
    question.

    The pool is run online: its kernel is causal (its state at a request depends only on earlier
    requests), so scheduling the growing list of request times with a generator from the same seed
    gives, for the newest request, exactly what an event-driven pool would.
    """

    async def setup(self) -> None:
        from qcoord.entanglement import sampler

        self.unit = float(self.spec["unit"])
        self.groups: dict[int, dict[str, Any]] = {}
        for g, gs in self.spec["groups"].items():
            pol = gs["policy"]
            self.groups[int(g)] = {
                "sampler": sampler(pol.strategy),
                "visibility": float(pol.visibility),
                "source": pol.source,
                "u": np.asarray(gs["uniforms"], dtype=np.float64),
                "seed": gs["seed"],
                "times": [],
                "pairs": {},
                "vis": {},
                "avail": {},
            }
        self.epochs: dict[int, float] = {}
        self.requests = 0
        for st in self.groups.values():  # warm the sampling path (and the pool's kernel) once
            pair = st["sampler"].pair(uniforms=(0.5, 0.5))
            pair.halves[0].measure(0)
            pair.halves[1].measure(0)
            if st["source"] is not None:
                st["source"].schedule(np.array([0.0]), np.random.default_rng(0))
        await self.serve(self.handle)

    async def start(self, epoch: float) -> None:
        for g in self.groups:
            self.epochs[g] = epoch + float(self.spec["offsets"][g])

    def _pair(self, g: int, k: int) -> Any:
        st = self.groups[g]
        pair = st["pairs"].get(k)
        if pair is not None:
            return pair
        vis, avail = st["visibility"], True
        if st["source"] is not None:
            tau = (_now() - self.epochs[g]) / self.unit
            st["times"].append(max(tau, st["times"][-1] if st["times"] else 0.0))
            rng = np.random.default_rng(np.random.SeedSequence(entropy=st["seed"][0], spawn_key=tuple(st["seed"][1])))
            draw = st["source"].schedule(np.asarray(st["times"]), rng)
            avail = not bool(np.asarray(draw.fallback)[-1])
            vis = vis * float(np.asarray(draw.visibility)[-1]) if avail else 0.0
        vis = min(max(vis, 0.0), 1.0)
        u = st["u"][k]
        pair = st["sampler"].pair(uniforms=(float(u[0]), float(u[1])), visibility=vis)
        st["pairs"][k] = pair
        st["vis"][k] = vis
        st["avail"][k] = avail
        return pair

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self._handle(reader, writer)
        except Exception:
            self.fail()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            line = await reader.readline()
            if not line:
                return
            msg = decode(line)
            self.requests += 1
            g, k = int(msg["g"]), int(msg["k"])
            pair = self._pair(g, k)
            if msg["op"] == "herald":
                writer.write(encode({"available": self.groups[g]["avail"][k]}))
            else:
                o = pair.halves[int(msg["party"])].measure(int(msg["q"]))
                writer.write(encode({"o": int(o)}))

    def result(self) -> dict[str, Any]:
        out: dict[str, Any] = {"requests": self.requests, "groups": {}}
        for g, st in self.groups.items():
            out["groups"][g] = {"vis": st["vis"], "avail": st["avail"]}
        return out


# --------------------------------------------------------------------------- a server
class _Job:
    __slots__ = ("n", "origin", "demand", "remaining", "release", "seq", "t_in")

    def __init__(self, n: int, origin: int, demand: float, release: float, seq: int, t_in: float) -> None:
        self.n = n
        self.origin = origin
        self.demand = demand
        self.remaining = demand  # time units
        self.release = release
        self.seq = seq
        self.t_in = t_in  # when the customer reached its origin server


class ServerQueue:
    """One server's customers and baseline task, driven by a clock and a timer service.

    Pure logic (no sockets), so that it can be driven by a fake clock in tests and compared with the
    simulator's exact queues: with timers that fire on time, completions and idle runs equal
    :func:`qcoord.system.simulate.run_servers`'s.

    Parameters
    ----------
    discipline : {"srpt", "np", "fcfs"}
        ``srpt``: the job with the least remaining work runs, an arriving shorter job preempts;
        ``np``: non-preemptive, the shortest waiting job starts when the server frees; ``fcfs``:
        non-preemptive, in order of joining. Ties: order of joining.
    unit : float
        Seconds per time unit.
    baseline : Baseline
        ``T``; for ``setup(c)`` a warm-up timer of ``c`` time units starts every idle run.
    now : callable () -> float
        The clock (seconds).
    call_at : callable (when, callback) -> handle with ``cancel()``
        The timer service (``loop.call_at``).
    on_complete : callable (job, t)
        Called when a job completes at time ``t``.
    """

    def __init__(self, discipline: str, unit: float, baseline: Any, now: Any, call_at: Any, on_complete: Any) -> None:
        self.discipline = discipline
        self.unit = float(unit)
        self.baseline = baseline
        self.now = now
        self.call_at = call_at
        self.on_complete = on_complete
        self.is_setup = baseline.params.get("kind") == "setup"
        self.warmup_c = float(baseline.params["c"]) if self.is_setup else 0.0
        self.jobs: list[_Job] = []
        self.current: _Job | None = None
        self.cur_start = 0.0
        self.timer: Any = None
        self.timer_due = 0.0
        self.idle_start: float | None = None
        #: (start, end [s], output [time units], lateness of the warm-up timer [s]) per finished idle run
        self.runs: list[tuple[float, float, float, float]] = []
        self.warm_late = 0.0
        self.warm_due = 0.0
        self.produce_from: float | None = None
        self.warm_timer: Any = None
        self.lateness: list[float] = []  # completion timers: fired - due, seconds
        self.completions: list[tuple[int, int, float]] = []

    def begin(self, t: float) -> None:
        """The server starts at ``t``: idle (baseline task) unless a job is already there."""
        if not self.jobs and self.current is None and self.idle_start is None:
            self._idle(t)

    # -- baseline task
    def _idle(self, t: float) -> None:
        self.idle_start = t
        self.produce_from = None
        self.warm_late = 0.0
        if self.warmup_c > 0:
            self.warm_due = t + self.warmup_c * self.unit
            self.warm_timer = self.call_at(self.warm_due, self._warm)
        else:
            self.produce_from = t

    def _warm(self) -> None:
        self.warm_timer = None
        self.produce_from = self.now()  # warm-up over: output accrues from now
        self.warm_late = self.produce_from - self.warm_due

    def _interrupt(self, t: float) -> None:
        if self.idle_start is None:
            return
        if self.warm_timer is not None:  # still warming up (or its timer is due but has not run yet)
            self.warm_timer.cancel()
            self.warm_timer = None
            self.warm_late = max(t - self.warm_due, 0.0)
        self.runs.append((self.idle_start, t, self._output(t), self.warm_late))
        self.idle_start = None
        self.produce_from = None

    def _output(self, t: float) -> float:
        """Output of the current idle run if it ends at ``t`` (time units): for ``setup(c)`` the time
        since the warm-up timer fired; for any other ``T``, ``T(run length)``."""
        if self.is_setup:
            return 0.0 if self.produce_from is None else max(t - self.produce_from, 0.0) / self.unit
        assert self.idle_start is not None
        return float(self.baseline.output(np.array([(t - self.idle_start) / self.unit]))[0])

    def all_runs(self, now: float) -> list[tuple[float, float, float, float]]:
        """Finished idle runs plus the current one, closed at ``now``."""
        runs = list(self.runs)
        if self.idle_start is not None:
            late = max(now - self.warm_due, 0.0) if self.warm_timer is not None else self.warm_late
            runs.append((self.idle_start, now, self._output(now), late))
        return runs

    # -- service
    def _charge(self, now: float) -> None:
        if self.current is not None:
            self.current.remaining -= (now - self.cur_start) / self.unit
            self.cur_start = now

    def add(self, job: _Job) -> None:
        """A job joins the queue now (interrupting the baseline task if it runs)."""
        now = self.now()
        self._charge(now)
        self._interrupt(now)
        self.jobs.append(job)
        self._dispatch(now)

    def _pick(self) -> _Job:
        if self.discipline == "srpt":
            return min(self.jobs, key=lambda b: (b.remaining, b.seq))
        if self.current is not None:  # np, fcfs: never preempt
            return self.current
        if self.discipline == "np":
            return min(self.jobs, key=lambda b: (b.demand, b.seq))
        return min(self.jobs, key=lambda b: b.seq)

    def _dispatch(self, now: float) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if not self.jobs:
            self.current = None
            self._idle(now)
            return
        job = self._pick()
        self.current = job
        self.cur_start = now
        self.timer_due = now + max(job.remaining, 0.0) * self.unit
        self.timer = self.call_at(self.timer_due, self._on_timer)

    def _on_timer(self) -> None:
        now = self.now()
        self.timer = None
        self.lateness.append(now - self.timer_due)
        job = self.current
        assert job is not None
        self._charge(now)
        self.jobs.remove(job)
        self.current = None
        self.completions.append((job.n, job.origin, now))
        self.on_complete(job, now)
        self._dispatch(now)

    def own_work(self) -> float:
        """Unfinished work of this server's customers (time units)."""
        self._charge(self.now())
        return float(sum(max(b.remaining, 0.0) for b in self.jobs))


class Server(Node):
    """One server: decides each pair with the policy object, serves customers, runs the baseline task.

    Decisions (the policy used as is):

    - a communication-free :class:`~qcoord.policies.base.LocalPolicy` is called through its
      locality-preserving interface, ``policy.decide(view, share)``, with this server's own
      :class:`~qcoord.policies.views.LocalView` (its customer's class, its role, its own backlog
      level) and its own share: nothing (:class:`NoShare`), the pre-shared uniform of the pair
      (:class:`SharedUniform`, from a random table both servers were given before the run), or its
      half of entangled pair ``n`` (:class:`ResourceHalf` whose ``measure`` asks the link service);
    - a communicating policy (hold-for-message, naive communicate) is evaluated with
      ``policy.route`` on a one-pair input built from what this server knows: its own class and,
      once its message has arrived through the proxy, the partner's. While the decision still
      depends on a message (some hypothetical partner class changes it, or the policy's routing
      holds the customer), the customer waits for that message for real.

    Service: the scenario's discipline (``srpt``: preemptive shortest remaining work; ``np``:
    non-preemptive shortest job; ``fcfs``), with the work modelled as wall-clock time
    ``demand * unit``. Whenever the server has no customer, the baseline task runs; for
    ``setup(c)`` its first ``c`` time units of every run are a real warm-up phase (a timer) that
    produces nothing, after which output accrues until the next customer interrupts it.
    """

    async def setup(self) -> None:
        from qcoord.policies import Entangled, HoldForMessage, NaiveCommunicate
        from qcoord.policies.base import LocalPolicy
        from qcoord.policies.local import SharedRandomness

        sp = self.spec
        self.g, self.j = int(sp["group"]), int(sp["server"])
        self.policy = sp["policy"]
        self.scenario = sp["scenario"]
        self.unit = float(sp["unit"])
        self.role_table = np.asarray(sp["role"], dtype=np.int8)  # pre-shared: who plays A in pair n
        self.shared_u = np.asarray(sp["shared_u"], dtype=np.float64)  # pre-shared uniform of pair n
        self.n_classes = int(self.scenario.num_classes)
        self.n_levels = int(self.scenario.num_backlog_levels)
        self.class_means = np.asarray(self.scenario.class_means, dtype=np.float64)
        self.d = float(self.scenario.handoff_delay)
        self.discipline = self.scenario.discipline
        p = self.policy
        if isinstance(p, Entangled):
            self.mode = "entangled"
        elif isinstance(p, (HoldForMessage, NaiveCommunicate)):
            self.mode = "message"
            self.senders = {0} if isinstance(p, HoldForMessage) else {0, 1}  # roles that send their class
        elif isinstance(p, LocalPolicy):
            self.mode = "local"
            self.shared = isinstance(p, SharedRandomness)
        else:  # pragma: no cover - refused by the runner first
            raise TypeError(f"policy: {type(p).__name__} cannot run live")
        self.seq = 0
        self.q = ServerQueue(self.discipline, self.unit, self.scenario.baseline, _now, self.loop.call_at, self._completed)
        self.decisions: dict[int, tuple[int, int, int, float, float, int]] = {}  # n -> (role, q, dec, t_in, t_dec, level)
        self.held: dict[int, tuple[int, int, float, float, int]] = {}  # n -> (role, cls, demand, t_in, level)
        self.partner_cls: dict[int, int] = {}
        self.sent_control = 0
        self.sent_data = 0
        self.got: dict[str, list[float]] = {"control": [], "data": []}  # achieved latency, seconds
        self.delivery: list[float] = []  # load generator -> server, seconds
        self.link: BlockingClient | None = None
        self.lg_writer: asyncio.StreamWriter | None = None
        self._warm_code()
        await self.serve(self.handle_lg)

    def _warm_code(self) -> None:
        """Run the decision path once before the epoch (imports, first calls, compiled kernels), so
        that the first real request does not pay for them."""
        from qcoord.entanglement import sampler
        from qcoord.policies.views import LocalView, NoShare, ResourceHalf, SharedUniform

        if self.mode == "message":
            self._route_one(0, 0, 1.0, 0, 0)
            return
        view = LocalView(server=self.j, role=0, cls=np.array([0]), level=np.array([0]),
                         n_classes=self.n_classes, n_levels=self.n_levels)
        if self.mode == "entangled":
            pair = sampler(self.policy.strategy).pair(uniforms=(0.5, 0.5))
            _, _, nx, _ = self.policy.strategy.shape
            share: Any = ResourceHalf(lambda q: np.array([pair.halves[0].measure(int(q[0]))], dtype=np.int8), np.array([True]), nx)
        elif self.shared:
            share = SharedUniform(np.array([0.5]))
        else:
            share = NoShare()
        self.policy.decide(view, share)

    async def go(self, ports: dict[str, Any]) -> None:
        r, w = await asyncio.open_connection(HOST, ports["proxy"])
        w.write(encode({"g": self.g, "j": self.j}))
        await w.drain()
        self.proxy = w
        self.loop.create_task(self.read_proxy(r))
        if self.mode == "entangled":
            self.link = BlockingClient(ports["link"])
            self.pool = self.policy.source is not None

    async def start(self, epoch: float) -> None:
        self.epoch = epoch + float(self.spec["offset"])
        self.loop.call_at(self.epoch, self._begin)

    def _begin(self) -> None:
        self.q.begin(self.epoch)

    def _completed(self, job: "_Job", now: float) -> None:
        assert self.lg_writer is not None
        self.lg_writer.write(encode({"n": job.n, "o": job.origin, "tc": now, "ti": job.t_in, "tr": job.release, "by": self.j}))

    # -- requests from the load generator
    async def handle_lg(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.lg_writer = writer
        while True:
            line = await reader.readline()
            if not line:
                return
            t_in = _now()
            msg = decode(line)
            self.delivery.append(t_in - float(msg["ts"]))
            try:
                self.on_request(int(msg["n"]), float(msg["s"]), int(msg["c"]), t_in)
            except Exception:
                self.fail()
                return

    def _role(self, n: int) -> int:
        a_server = int(self.role_table[n]) if self.policy.role_symmetric else 0
        return 0 if a_server == self.j else 1

    def _level(self) -> int:
        if self.n_levels <= 1:
            return 0
        return int(self.scenario.backlog_level(np.array([self.q.own_work()]))[0])

    def on_request(self, n: int, demand: float, cls: int, t_in: float) -> None:
        from qcoord.policies.views import LocalView, NoShare, ResourceHalf, SharedUniform

        role = self._role(n)
        level = self._level()
        if self.mode == "message":
            self._message_request(n, demand, cls, role, level, t_in)
            return
        view = LocalView(server=self.j, role=role, cls=np.array([cls]), level=np.array([level]),
                         n_classes=self.n_classes, n_levels=self.n_levels)
        q = int(view.question[0])
        if self.mode == "entangled":
            link = self.link
            assert link is not None
            avail = bool(link.call({"op": "herald", "g": self.g, "k": n})["available"]) if self.pool else True
            _, _, nx, ny = self.policy.strategy.shape
            nq = nx if role == 0 else ny
            asked: list[int] = []

            def measure(question: Any, n: int = n, role: int = role) -> Any:
                asked.append(int(question[0]))
                o = link.call({"op": "measure", "g": self.g, "k": n, "party": role, "q": int(question[0])})["o"]
                return np.array([o], dtype=np.int8)

            share: Any = ResourceHalf(measure, np.array([avail]), nq)
        elif self.shared:
            share = SharedUniform(np.array([self.shared_u[n]]))
        else:
            share = NoShare()
        dec = int(np.asarray(self.policy.decide(view, share))[0])
        t_dec = _now()
        if self.mode == "entangled" and asked:
            q = asked[0]
        self.decisions[n] = (role, q, dec, t_in, t_dec, level)
        self._act(n, demand, dec, t_dec, t_in)

    def _act(self, n: int, demand: float, dec: int, t: float, t_in: float) -> None:
        if dec == KEEP:
            self.seq += 1
            self.q.add(_Job(n, self.j, demand, t, self.seq, t_in))
        else:
            self.sent_data += 1
            self.proxy.write(encode({"path": "data", "to": [self.g, 1 - self.j], "ts": _now(),
                                     "body": {"n": n, "o": self.j, "s": demand, "ti": t_in}}))

    # -- communicating policies
    def _route_one(self, n: int, own_cls: int, own_demand: float, partner_cls: int, level: int) -> tuple[int, float]:
        """Decision and hold time (time units) of this server's customer by ``policy.route`` on one pair."""
        from qcoord.system.interface import PairInputs

        cls = np.zeros((1, 2), dtype=np.int64)
        cls[0, self.j], cls[0, 1 - self.j] = own_cls, partner_cls
        dem = np.zeros((1, 2))
        dem[0, self.j], dem[0, 1 - self.j] = own_demand, self.class_means[partner_cls]
        uni = np.zeros((1, 4))
        uni[0, 0] = self.shared_u[n]
        inputs = PairInputs(np.zeros(1), dem, cls, np.array([self.role_table[n]], dtype=np.int8), uni,
                            seed=int(self.spec["seed"]), replication=0)
        r = self.policy.route(inputs, self.scenario)
        dec = int(r.decision[0, self.j])
        hold = float(r.release[0, self.j]) - (self.d if dec == FORWARD else 0.0)
        return dec, hold

    def _message_request(self, n: int, demand: float, cls: int, role: int, level: int, t_in: float) -> None:
        if role in self.senders:
            self.sent_control += 1
            self.proxy.write(encode({"path": "control", "to": [self.g, 1 - self.j], "ts": _now(),
                                     "body": {"n": n, "c": cls}}))
        options = {self._route_one(n, cls, demand, c, level) for c in range(self.n_classes)}
        if len(options) == 1:
            dec, hold = next(iter(options))
            if hold <= 1e-12:  # the decision needs no message: act at once
                t_dec = _now()
                self.decisions[n] = (role, cls, dec, t_in, t_dec, level)
                self._act(n, demand, dec, t_dec, t_in)
                return
        if n in self.partner_cls:  # (the message overtook the request: act on it now)
            self._release_held(n, (role, cls, demand, t_in, level), self.partner_cls[n])
            return
        self.held[n] = (role, cls, demand, t_in, level)

    def _release_held(self, n: int, held: tuple[int, int, float, float, int], partner: int) -> None:
        """The partner's message for pair ``n`` arrived: decide the held customer and act now."""
        role, cls, demand, t_in, level = held
        dec, _ = self._route_one(n, cls, demand, partner, level)
        t_dec = _now()
        self.decisions[n] = (role, cls, dec, t_in, t_dec, level)
        self._act(n, demand, dec, t_dec, t_in)

    async def read_proxy(self, reader: asyncio.StreamReader) -> None:
        while True:
            line = await reader.readline()
            if not line:
                return
            t = _now()
            msg = decode(line)
            self.got[msg["t"]].append(t - float(msg["ts"]))
            body = msg["body"]
            try:
                if msg["t"] == "data":
                    self.seq += 1
                    self.q.add(_Job(int(body["n"]), int(body["o"]), float(body["s"]), t, self.seq, float(body["ti"])))
                else:
                    n = int(body["n"])
                    self.partner_cls[n] = int(body["c"])
                    if n in self.held:
                        self._release_held(n, self.held.pop(n), int(body["c"]))
            except Exception:
                self.fail()
                return

    def result(self) -> dict[str, Any]:
        return {
            "runs": self.q.all_runs(_now()), "decisions": self.decisions, "held_left": len(self.held),
            "sent_control": self.sent_control, "sent_data": self.sent_data, "got": self.got,
            "lateness": self.q.lateness, "delivery": self.delivery, "epoch": getattr(self, "epoch", None),
            "link_requests": 0 if self.link is None else self.link.requests, "pid": os.getpid(),
        }


# --------------------------------------------------------------------------- the load generator
class LoadGenerator(Node):
    """Sends each pair's two requests at its Poisson time and records the completions.

    The inputs are the simulator's (``scenario.draw_inputs``: same seed, same arrivals, demands and
    classes), so measured and predicted figures use common random numbers. Group ``g``'s schedule
    is shifted by ``offset[g]`` seconds so that the groups' arrivals do not coincide (the groups
    share the machine's two cores).
    """

    listens = False

    async def setup(self) -> None:
        sp = self.spec
        self.unit = float(sp["unit"])
        self.arrival = np.asarray(sp["arrival"], dtype=np.float64)
        self.demand = np.asarray(sp["demand"], dtype=np.float64)
        self.cls = np.asarray(sp["cls"], dtype=np.int64)
        self.G = int(sp["groups"])
        n = self.arrival.shape[0]
        self.t_send = np.full((self.G, n, 2), np.nan)
        self.t_done = np.full((self.G, n, 2), np.nan)
        self.t_in = np.full((self.G, n, 2), np.nan)
        self.t_rel = np.full((self.G, n, 2), np.nan)
        self.by = np.full((self.G, n, 2), -1, dtype=np.int8)
        self.received = 0
        self.total = 2 * n * self.G
        self.writers: dict[tuple[int, int], asyncio.StreamWriter] = {}

    async def go(self, ports: dict[str, Any]) -> None:
        for g in range(self.G):
            for j in (0, 1):
                r, w = await asyncio.open_connection(HOST, ports["servers"][g][j])
                self.writers[(g, j)] = w
                self.loop.create_task(self.read(g, r))

    async def read(self, g: int, reader: asyncio.StreamReader) -> None:
        try:
            await self._read(g, reader)
        except Exception:
            self.fail()

    async def _read(self, g: int, reader: asyncio.StreamReader) -> None:
        while True:
            line = await reader.readline()
            if not line:
                return
            m = decode(line)
            n, o = int(m["n"]), int(m["o"])
            self.t_done[g, n, o] = float(m["tc"])
            self.t_in[g, n, o] = float(m["ti"])
            self.t_rel[g, n, o] = float(m["tr"])
            self.by[g, n, o] = int(m["by"])
            self.received += 1

    async def start(self, epoch: float) -> None:
        offsets = [float(x) for x in self.spec["offsets"]]
        events = [(epoch + offsets[g] + float(a) * self.unit, g, n) for g in range(self.G) for n, a in enumerate(self.arrival)]
        heapq.heapify(events)
        last_report = 0.0
        while events:
            due, g, n = heapq.heappop(events)
            wait = due - _now()
            if wait > 0:
                await asyncio.sleep(wait)
            for j in (0, 1):
                ts = _now()
                self.t_send[g, n, j] = ts
                self.writers[(g, j)].write(encode({"n": n, "s": float(self.demand[n, j]), "c": int(self.cls[n, j]), "ts": ts}))
            if _now() - last_report > 0.25:
                last_report = _now()
                self.send("progress", self.received, self.total)
        while self.received < self.total:
            await asyncio.sleep(0.02)
            if _now() - last_report > 0.25:
                last_report = _now()
                self.send("progress", self.received, self.total)
        self.send("progress", self.received, self.total)
        self.send("complete")

    def result(self) -> dict[str, Any]:
        return {"t_send": self.t_send, "t_in": self.t_in, "t_release": self.t_rel, "t_done": self.t_done, "by": self.by}


_KINDS = {"proxy": Proxy, "link": Link, "server": Server, "loadgen": LoadGenerator}


def child_main(kind: str, spec: dict[str, Any], conn: Any) -> None:
    """Entry point of a live process (``multiprocessing`` target)."""
    child_setup(bool(spec.get("realtime", False)))
    loop = new_loop()
    try:
        node = _KINDS[kind](conn, spec)
        loop.run_until_complete(node.run())
    except Exception:
        try:
            conn.send(("error", traceback.format_exc(limit=6)))
        except (OSError, EOFError):
            pass
        os._exit(1)
    finally:
        try:
            conn.close()
        except OSError:  # pragma: no cover
            pass
    os._exit(0)
