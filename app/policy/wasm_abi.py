"""OPA's WebAssembly ABI, driven through wasmtime: run OPA-compiled policy in process.

``opa build -t wasm`` compiles Rego into a module that exports OPA's evaluator and
imports its linear memory, ``opa_abort`` and ``opa_builtin0..4`` (the built-ins OPA
does not compile into the module, which the host must supply). This module is the host:

- ``CompiledModule`` holds the wasmtime engine and the module (both safe to share
  between threads). ``shared_module`` compiles each distinct module once per process:
  compiling takes about a second, so wasmtime's own on-disk code cache (in the user's
  cache directory, keyed by the module, wasmtime's version and its settings) is on too,
  and a later process loads the machine code in a few milliseconds;
- ``PolicyInstance`` is one instance of it with the policy data parsed into its memory.
  A wasmtime store is not thread-safe: an instance serves one evaluation at a time.

Deadlines are enforced inside wasmtime (epoch interruption): a clock thread advances
the engine's epoch every ``TICK_S`` and each evaluation may run for a number of ticks,
after which wasmtime traps it (``PolicyTimeout``). A runaway evaluation is stopped,
not merely abandoned, so the caller can evaluate in its own thread. The tick is coarse
(deadlines are seconds): every tick wakes the thread, which takes the GIL from the
request being served. At 5 ms that was 200 wake-ups a second in every worker process,
idle or not; waking the clock for each evaluation instead put a hand-off between two
threads into every gate call, which a served profile on a busy machine showed.

One evaluation uses the ABI's single-call path (ABI 1.2+): the input's JSON text is
written just above the data, ``opa_eval`` is called with the heap pointer saved after
the data was loaded (so every evaluation starts from the same clean heap), and the
result comes back as the address of a NUL-terminated JSON string
``[{"result": value}]`` (``[]`` when the entrypoint is undefined).

Host built-ins receive their arguments as JSON values and return a JSON value, or
``None`` for undefined (address 0, which the compiled code treats as undefined, as OPA
treats a failing built-in outside strict mode).
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import hashlib
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

import orjson
import wasmtime
from wasmtime import _bindings as wasmtime_bindings
from wasmtime import _ffi as wasmtime_ffi
from wasmtime import _func as wasmtime_func

from app.policy.errors import PolicyTimeout, WasmPolicyError

__all__ = [
    "SUPPORTED_ABI",
    "TICK_S",
    "CompiledModule",
    "HostBuiltin",
    "PolicyInstance",
    "shared_module",
]

#: The ABI major version, and the least minor version (``opa_eval`` arrived in 1.2).
SUPPORTED_ABI = (1, 2)
_PAGE = 65536
#: How often the deadline clock ticks: a deadline holds to within one tick.
TICK_S = 0.05
# Loading the data into a new instance is bounded too, generously.
_SETUP_TICKS = int(30 / TICK_S)

#: A host built-in: JSON arguments in, a JSON value (or None for undefined) out. It must
#: be a pure function of its arguments (as Rego built-ins are): its answers are cached.
HostBuiltin = Callable[..., Any]


class _I32Export:
    """An exported function of i32 parameters and one i32 result, called directly.

    ``wasmtime.Func.__call__`` inspects the function's type and converts every value on
    each call; an evaluation makes a few dozen calls (the built-ins' argument dumps and
    result parses), where that inspection was most of the time. This one checks the
    type once, here, and then makes wasmtime's unchecked call: raw values in one array
    (arguments in, the result back in its first slot), built once and reused (each
    export has its own, so a built-in may call another export in the middle of
    ``opa_eval``). The ``wasmtime`` version is pinned in constraints.txt because this
    reads its ffi module.
    """

    def __init__(self, store: wasmtime.Store, function: wasmtime.Func, arity: int) -> None:
        kind = function.type(store)
        i32 = wasmtime.ValType.i32()
        if list(kind.params) != [i32] * arity or list(kind.results) != [i32]:
            raise WasmPolicyError(
                f"a compiled policy export has type {kind.params} -> {kind.results}, "
                f"expected {arity} i32 parameter(s) and one i32 result"
            )
        self._function = function  # kept alive, with the store, for the addresses below
        self._context = _address_of(store._context())
        self._address = ctypes.addressof(function._func)
        self._values = (wasmtime_ffi.wasmtime_val_raw_t * max(arity, 1))()
        self._values_address = ctypes.addressof(self._values)
        self._count = len(self._values)
        # Where wasmtime stores a trap; it writes nothing when the call succeeds.
        self._trap = ctypes.c_void_p()
        self._trap_address = ctypes.addressof(self._trap)

    def __call__(self, *arguments: int) -> int:
        values = self._values
        for index, argument in enumerate(arguments):
            values[index].i32 = argument
        error = _call_unchecked(
            self._context, self._address, self._values_address, self._count, self._trap_address
        )
        trap = self._trap.value
        if error or trap:
            self._trap.value = None
            _raise_failure(error, trap)
        result: int = values[0].i32
        return result


def _plain_c_function(binding: Any, result: Any, *parameters: Any) -> Any:
    """The C function behind one of wasmtime-py's bindings, typed with plain addresses
    and sizes. wasmtime-py's own prototypes check each argument's pointer type and wrap
    each pointer result in a new object: a few microseconds a call, on calls made dozens
    of times a decision. Like every ctypes foreign function it releases the GIL while it
    runs, so the deadline clock keeps ticking during an evaluation."""
    return ctypes.CFUNCTYPE(result, *parameters)(_address_of(binding))


def _address_of(pointer: Any) -> int:
    """The address a ctypes pointer (or function) holds."""
    address = ctypes.cast(pointer, ctypes.c_void_p).value
    if address is None:
        raise WasmPolicyError("wasmtime gave a null pointer")
    return address


_call_unchecked = _plain_c_function(
    wasmtime_bindings._wasmtime_func_call_unchecked,
    ctypes.c_void_p,
    ctypes.c_void_p,
    ctypes.c_void_p,
    ctypes.c_void_p,
    ctypes.c_size_t,
    ctypes.c_void_p,
)
_memory_data = _plain_c_function(
    wasmtime_bindings._wasmtime_memory_data, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p
)
_memory_data_size = _plain_c_function(
    wasmtime_bindings._wasmtime_memory_data_size,
    ctypes.c_size_t,
    ctypes.c_void_p,
    ctypes.c_void_p,
)


def _raise_failure(error: int | None, trap: int | None) -> NoReturn:
    """Raise what a failed call means, as wasmtime-py's own calls do: an exception a host
    function raised first (it became the trap), then the trap or the error."""
    failure = (
        wasmtime.Trap._from_ptr(ctypes.cast(trap, ctypes.POINTER(wasmtime_ffi.wasm_trap_t)))
        if trap
        else wasmtime.WasmtimeError._from_ptr(
            ctypes.cast(error or 0, ctypes.POINTER(wasmtime_ffi.wasmtime_error_t))
        )
    )
    wasmtime_func.maybe_raise_last_exn()
    raise failure


@functools.lru_cache(maxsize=4096)
def _answer(function: HostBuiltin, *arguments: bytes) -> bytes | None:
    """A host built-in's answer (JSON text; None for undefined) to arguments given as
    JSON text. Kept for later calls: host built-ins are pure functions of their
    arguments, and decisions ask the same ones again and again (the same dates parsed,
    the same figures formatted). An error is not kept: it is raised each time."""
    result = function(*(orjson.loads(argument) for argument in arguments))
    return None if result is None else orjson.dumps(result)


def _raw_i32_callback(handler: Callable[..., int]) -> Any:
    """A host function of i32 parameters and one i32 result, without wasmtime-py's
    generic trampoline (which converts every value through its ``Val`` types: about
    10 µs a call, and a decision makes a dozen or more built-in calls).

    wasmtime's unchecked callback hands the arguments in one array of raw values and
    takes the result in its first slot. An exception becomes a trap, and is re-raised
    where the evaluation was entered, as wasmtime-py does for its own host functions.
    """

    def callback(_env: Any, _caller: Any, values: Any, count: int) -> int:
        try:
            values[0].i32 = handler(*(values[index].i32 for index in range(count)))
            return 0
        except BaseException as error:
            # Any error, an interrupt too: returning without a trap would let the policy
            # read the argument left in the result slot as the built-in's answer.
            wasmtime_func.LAST_EXCEPTION = error  # type: ignore[assignment]  # as wasmtime-py's own
            trap = wasmtime.Trap("python exception")._consume()
            return ctypes.cast(trap, ctypes.c_void_p).value or 0

    return wasmtime_ffi.wasmtime_func_unchecked_callback_t(callback)


def _define_raw_func(
    linker: wasmtime.Linker, name: str, kind: wasmtime.FuncType, callback: Any
) -> None:
    """Define ``env.name`` in ``linker`` as the raw ``callback`` (which the caller keeps
    alive as long as the instance)."""
    module, field = b"env", name.encode()
    error = wasmtime_ffi.wasmtime_linker_define_func_unchecked(
        linker.ptr(),
        ctypes.create_string_buffer(module),
        len(module),
        ctypes.create_string_buffer(field),
        len(field),
        kind.ptr(),
        callback,
        None,
        _NO_FINALIZER,
    )
    if error:
        raise wasmtime.WasmtimeError._from_ptr(error)


#: The finalizer of a raw host function: nothing to release (its callback is kept alive
#: by the instance that defined it).
_NO_FINALIZER = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(lambda _env: None)


class CompiledModule:
    """The compiled policy module, shared by every thread of the process."""

    def __init__(self, wasm: bytes, *, builtins: Mapping[str, HostBuiltin]) -> None:
        config = wasmtime.Config()
        config.epoch_interruption = True
        # Without a usable cache directory every process compiles; nothing else changes.
        with contextlib.suppress(wasmtime.WasmtimeError):
            config.cache = True
        self.engine = wasmtime.Engine(config)
        try:
            self.module = wasmtime.Module(self.engine, wasm)
        except wasmtime.WasmtimeError as error:
            raise WasmPolicyError(f"the compiled policy is not a valid module: {error}") from error
        self.builtins = builtins
        self.initial_pages = next(
            (
                item.type.limits.min
                for item in self.module.imports
                if isinstance(item.type, wasmtime.MemoryType)
            ),
            2,
        )
        # The clock lives as long as the module: shared_module keeps it for the process.
        threading.Thread(target=self._tick, name="policy-wasm-epoch", daemon=True).start()

    def _tick(self) -> None:
        while True:
            time.sleep(TICK_S)
            self.engine.increment_epoch()

    def instantiate(self, data: bytes) -> PolicyInstance:
        """A new instance with ``data`` (JSON text) parsed into its memory."""
        return PolicyInstance(self, data)


class PolicyInstance:
    """One module instance: its own store, memory and parsed policy data."""

    def __init__(self, compiled: CompiledModule, data: bytes) -> None:
        self.store = wasmtime.Store(compiled.engine)
        self.store.set_epoch_deadline(_SETUP_TICKS)
        self.memory = wasmtime.Memory(
            self.store, wasmtime.MemoryType(wasmtime.Limits(compiled.initial_pages, None))
        )
        self._context = _address_of(self.store._context())
        self._memory = ctypes.addressof(self.memory._memory)
        linker = wasmtime.Linker(compiled.engine)
        linker.define(self.store, "env", "memory", self.memory)
        i32 = wasmtime.ValType.i32()
        linker.define_func("env", "opa_abort", wasmtime.FuncType([i32], []), self._abort)
        linker.define_func("env", "opa_println", wasmtime.FuncType([i32], []), lambda _: None)
        self._builtin_callback = _raw_i32_callback(self._call_builtin)
        for arity in range(5):
            _define_raw_func(
                linker,
                f"opa_builtin{arity}",
                wasmtime.FuncType([i32] * (arity + 2), [i32]),
                self._builtin_callback,
            )
        try:
            instance = linker.instantiate(self.store, compiled.module)
        except wasmtime.WasmtimeError as error:
            raise WasmPolicyError(f"cannot instantiate the compiled policy: {error}") from error
        exports = instance.exports(self.store)

        def export(name: str, arity: int) -> _I32Export:
            function = exports[name]
            if not isinstance(function, wasmtime.Func):
                raise WasmPolicyError(f"the compiled policy's {name} is not a function")
            return _I32Export(self.store, function, arity)

        def version(name: str) -> int:
            value = exports[name]
            if not isinstance(value, wasmtime.Global):
                raise WasmPolicyError(f"the compiled policy's {name} is not a global")
            return int(value.value(self.store))

        abi = (version("opa_wasm_abi_version"), version("opa_wasm_abi_minor_version"))
        if abi[0] != SUPPORTED_ABI[0] or abi[1] < SUPPORTED_ABI[1]:
            raise WasmPolicyError(f"the compiled policy has ABI {abi}, expected 1.2 or later")
        self._eval = export("opa_eval", 7)
        self._malloc = export("opa_malloc", 1)
        self._json_parse = export("opa_json_parse", 2)
        self._json_dump = export("opa_json_dump", 1)
        by_id = self._read_value(export("builtins", 0)())
        missing = sorted(set(by_id) - set(compiled.builtins))
        if missing:
            raise WasmPolicyError(
                f"the compiled policy needs built-ins the host lacks: {', '.join(missing)}"
            )
        self._builtins = {number: compiled.builtins[name] for name, number in by_id.items()}
        self.entrypoints: dict[str, int] = self._read_value(export("entrypoints", 0)())
        self._data = self._parse(data)
        if self._data == 0:
            raise WasmPolicyError("the policy data is not valid JSON")
        self._heap = export("opa_heap_ptr_get", 0)()

    def _address(self, offset: int) -> int:
        """The process address of a memory offset (the base moves when memory grows)."""
        base: int = _memory_data(self._context, self._memory)
        return base + offset

    def _size(self) -> int:
        """The memory's size in bytes now."""
        size: int = _memory_data_size(self._context, self._memory)
        return size

    def _write(self, data: bytes, offset: int) -> None:
        """Copy ``data`` into memory at ``offset`` (the caller made room for it).

        ``ctypes.memmove`` rather than ``Memory.write``, whose bookkeeping cost as much as
        the rest of a built-in's answer.
        """
        if offset < 0 or offset + len(data) > self._size():
            raise WasmPolicyError("a write outside the policy's memory")
        ctypes.memmove(self._address(offset), data, len(data))

    def _string_at(self, offset: int) -> bytes:
        return ctypes.string_at(self._address(offset))

    def _read_value(self, value: int) -> Any:
        """A value in the module's memory, as Python (through its JSON text)."""
        return orjson.loads(self._json_text(value))

    def _json_text(self, value: int) -> bytes:
        """The JSON text of a value in the module's memory."""
        return self._string_at(self._json_dump(value))

    def _parse(self, text: bytes) -> int:
        """Copy JSON text into the module and parse it; the value's address (0 = invalid)."""
        address = self._malloc(len(text))
        self._write(text, address)
        parsed: int = self._json_parse(address, len(text))
        return parsed

    def _abort(self, message: int) -> None:
        raise WasmPolicyError(
            f"the policy aborted: {self._string_at(message).decode(errors='replace')}"
        )

    def _call_builtin(self, number: int, _context: int, *arguments: int) -> int:
        function = self._builtins.get(number)
        if function is None:
            raise WasmPolicyError(f"the policy called unknown built-in {number}")
        answer = _answer(function, *(self._json_text(argument) for argument in arguments))
        return 0 if answer is None else self._parse(answer)

    def evaluate(self, entrypoint: str, document: bytes, *, timeout_s: float) -> Any:
        """The value of ``entrypoint`` for the input ``document`` (JSON text).

        Raises PolicyTimeout once the evaluation has run about ``timeout_s`` (to the
        next tick), WasmPolicyError for a trap, an abort or an undefined decision.
        """
        number = self.entrypoints.get(entrypoint)
        if number is None:
            raise WasmPolicyError(f"the compiled policy has no entrypoint {entrypoint}")
        end = self._heap + len(document)
        shortfall = end - self._size()
        if shortfall > 0:
            self.memory.grow(self.store, -(-shortfall // _PAGE))
        self._write(document, self._heap)
        self.store.set_epoch_deadline(max(1, round(timeout_s / TICK_S)) + 1)
        try:
            result = self._eval(0, number, self._data, self._heap, len(document), end, 0)
        except wasmtime.Trap as error:
            if error.trap_code == wasmtime.TrapCode.INTERRUPT:
                raise PolicyTimeout(f"interrupted after about {timeout_s:g} s") from error
            raise WasmPolicyError(f"the policy trapped: {error.message}") from error
        results = orjson.loads(self._string_at(result))
        if not results:
            raise WasmPolicyError("the decision is undefined")
        return results[0]["result"]


_shared: dict[bytes, CompiledModule] = {}
_shared_lock = threading.Lock()


def shared_module(wasm: bytes, *, builtins: Mapping[str, HostBuiltin]) -> CompiledModule:
    """The process's one ``CompiledModule`` for these module bytes and built-ins.

    Engines built again over the same compiled policy (every application a test
    creates, every CLI command) reuse it instead of compiling the module again.
    """
    key = hashlib.sha256(wasm).digest() + repr(sorted(builtins.items())).encode()
    with _shared_lock:
        module = _shared.get(key)
        if module is None:
            module = _shared[key] = CompiledModule(wasm, builtins=builtins)
        return module
