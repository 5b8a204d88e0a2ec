#pragma once
// Internal to src/mime: ownership of GMime's GObjects.

#include <glib-object.h>

namespace pushmail::mime {

// Owns one GObject reference.
template <class T>
struct Ref {
  T* p;
  explicit Ref(T* ptr) : p(ptr) {}
  Ref(const Ref&) = delete;
  Ref& operator=(const Ref&) = delete;
  ~Ref() {
    if (p) g_object_unref(p);
  }
};

}  // namespace pushmail::mime
