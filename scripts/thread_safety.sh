#!/usr/bin/env bash
# clang's thread-safety analysis over every file that uses core/mutex.hpp's annotated Mutex (the
# gate's state, the deploy's lease keeper, ...): the GCC build ignores the annotations, so this
# checks them with clang, as an error. Only parses (-fsyntax-only): seconds, not a second build.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mapfile -t files < <(grep -rlE 'GUARDED_BY|REQUIRES\(|MutexLock' src --include=*.cpp | sort)
status=0
for f in "${files[@]}"; do
  echo "-- $f"
  clang++ -std=c++20 -fsyntax-only -Wthread-safety -Werror=thread-safety-analysis -DNDEBUG \
    -I src -isystem /usr/include/pg_query "$f" || status=1
done
exit $status
