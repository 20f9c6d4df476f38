// N-API entry points: compile(programBytes) -> handle, check(handle, payload, maxDepth) -> verdict.
// Context-aware (NAPI_MODULE_INIT) and free of global state, so every validation worker thread
// loads its own instance.
#include <node_api.h>

#include <new>

#include "program.h"
#include "walker.h"

namespace {

// A program with the buffers its checks reuse (see Scratch in walker.h).
struct Compiled {
  fastcheck::Program program;
  fastcheck::Scratch scratch;
};

void finalize(napi_env, void* data, void*) { delete static_cast<Compiled*>(data); }

napi_value fail(napi_env env, const char* msg) {
  napi_throw_error(env, "UNS_FAST_CHECK", msg);
  return nullptr;
}

bool bytesOf(napi_env env, napi_value v, const uint8_t*& data, size_t& len) {
  // One call on the hot path: napi_get_typedarray_info refuses anything but a typed array.
  napi_typedarray_type type;
  size_t length;
  void* raw;
  if (napi_get_typedarray_info(env, v, &type, &length, &raw, nullptr, nullptr) != napi_ok) return false;
  if (type != napi_uint8_array) return false;
  data = static_cast<const uint8_t*>(raw);
  len = length;
  return true;
}

napi_value Compile(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  const uint8_t* data = nullptr;
  size_t len = 0;
  if (argc < 1 || !bytesOf(env, argv[0], data, len)) return fail(env, "compile expects a Uint8Array");
  auto* prog = new (std::nothrow) Compiled();
  if (!prog) return fail(env, "out of memory");
  if (!fastcheck::readProgram(data, len, prog->program)) {
    delete prog;
    return fail(env, "malformed fast-check program");
  }
  napi_value out;
  if (napi_create_external(env, prog, finalize, nullptr, &out) != napi_ok) {
    delete prog;
    return fail(env, "cannot wrap the program");
  }
  return out;
}

napi_value Check(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < 3) return fail(env, "check expects (program, payload, maxDepth)");
  void* raw = nullptr;
  if (napi_get_value_external(env, argv[0], &raw) != napi_ok || !raw) return fail(env, "not a program");
  const uint8_t* data = nullptr;
  size_t len = 0;
  if (!bytesOf(env, argv[1], data, len)) return fail(env, "payload must be a Uint8Array");
  int32_t maxDepth = 64;
  napi_get_value_int32(env, argv[2], &maxDepth);
  int verdict;
  try {
    auto* c = static_cast<Compiled*>(raw);
    fastcheck::Walker w(c->program, c->scratch, data, len, maxDepth);
    verdict = w.run();
  } catch (...) {
    verdict = fastcheck::UNSURE;  // e.g. bad_alloc: let ajv decide
  }
  napi_value out;
  napi_create_int32(env, verdict, &out);
  return out;
}

}  // namespace

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"compile", nullptr, Compile, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"check", nullptr, Check, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, 2, props);
  return exports;
}
