# Every dependency comes from Debian's packages (scripts/setup.sh installs them).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(fmt REQUIRED)
find_package(Boost 1.81 REQUIRED COMPONENTS json url)
find_package(PostgreSQL REQUIRED)
# Time zones: Howard Hinnant's date library over the system tz database (date::date-tz).
find_package(date REQUIRED)
# JWT verification in the gate (HMAC, RSA, ECDSA) and TLS.
find_package(OpenSSL 3 REQUIRED)

pkg_check_modules(TOMLPP REQUIRED IMPORTED_TARGET tomlplusplus)
pkg_check_modules(PROTOBUF_C REQUIRED IMPORTED_TARGET libprotobuf-c)

find_path(PG_QUERY_INCLUDE_DIR pg_query.h REQUIRED)
find_library(PG_QUERY_LIBRARY NAMES libpg_query.a pg_query REQUIRED)
add_library(pg_query::pg_query UNKNOWN IMPORTED)
set_target_properties(pg_query::pg_query PROPERTIES
  IMPORTED_LOCATION ${PG_QUERY_LIBRARY}
  INTERFACE_INCLUDE_DIRECTORIES "${PG_QUERY_INCLUDE_DIR};${PG_QUERY_INCLUDE_DIR}/pg_query")
target_link_libraries(pg_query::pg_query INTERFACE PkgConfig::PROTOBUF_C Threads::Threads)

find_path(TL_EXPECTED_INCLUDE_DIR tl/expected.hpp REQUIRED)

if(SLIPWAY_TESTS)
  find_package(GTest REQUIRED)
endif()
if(SLIPWAY_BENCH)
  find_package(benchmark REQUIRED)
endif()

# The database phase: hashing and encryption (libsodium), compression (zstd), the catalog (SQLite).
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)
find_package(SQLite3 REQUIRED)

# TLS for the HTTP client, the TLS prober and the gate.
find_package(OpenSSL REQUIRED)
# Notification email: SMTP, STARTTLS, SMTPS and proxies (libcurl4-openssl-dev: its TLS is OpenSSL,
# which smtp.cpp's CA-file callback relies on).
find_package(CURL 7.85 REQUIRED)
