#include "backup/repository.hpp"

#include <sodium.h>

#include <algorithm>
#include <ctime>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "core/hash.hpp"

namespace slipway::backup {

namespace {

constexpr std::string_view kManifestSuffix = ".manifest.json";
constexpr std::string_view kVerifySuffix = ".verify.json";
constexpr std::string_view kArchiveSuffix = ".dump.zst";
constexpr std::string_view kEncryptedSuffix = ".dump.zst.enc";

// The id an object belongs to, or "" for objects that are not part of a backup (catalog.db).
std::string id_of(const std::string& name) {
  for (std::string_view suffix : {kManifestSuffix, kVerifySuffix, kEncryptedSuffix, kArchiveSuffix}) {
    if (name.size() > suffix.size() && name.ends_with(suffix)) return name.substr(0, name.size() - suffix.size());
  }
  return {};
}

// The time an id was made, as created_at: "20260312T101500Z-3fa9" -> "2026-03-12T10:15:00.000Z";
// "" when the id does not start with one.
std::string created_at_of(const std::string& id) {
  std::tm tm{};
  const char* end = ::strptime(id.c_str(), "%Y%m%dT%H%M%SZ", &tm);
  if (!end) return {};
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
  return buf;
}

// Entries ordered as the catalog orders them: created_at, then id.
bool older(const Entry& a, const Entry& b) {
  return std::tie(a.created_at, a.id) < std::tie(b.created_at, b.id);
}

}  // namespace

struct Repository::Impl {
  std::unique_ptr<Storage> storage;
  std::optional<Catalog> catalog;
  std::vector<Entry> damaged;  // of the last sync, oldest first
};

Repository::Repository(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Repository::Repository(Repository&&) noexcept = default;
Repository& Repository::operator=(Repository&&) noexcept = default;
Repository::~Repository() = default;

Result<Repository> Repository::open_local(const std::filesystem::path& dir) {
  auto storage = open_local_directory(dir);
  if (!storage) return fail(storage.error());
  return open(std::move(*storage));
}

Result<Repository> Repository::open(std::unique_ptr<Storage> storage) {
  auto impl = std::make_unique<Impl>();
  auto catalog = Catalog::open(storage->local_directory() / "catalog.db");
  if (!catalog) return fail(catalog.error());
  impl->storage = std::move(storage);
  impl->catalog.emplace(std::move(*catalog));
  Repository repo(std::move(impl));
  if (auto s = repo.sync(); !s) return fail(s.error());
  return repo;
}

Storage& Repository::storage() {
  return *impl_->storage;
}

std::string Repository::manifest_name(const std::string& id) {
  return id + std::string(kManifestSuffix);
}
std::string Repository::verify_name(const std::string& id) {
  return id + std::string(kVerifySuffix);
}
std::string Repository::archive_name(const std::string& id, bool encrypted) {
  return id + std::string(encrypted ? kEncryptedSuffix : kArchiveSuffix);
}

std::string Repository::new_id(std::time_t when) {
  std::tm tm{};
  gmtime_r(&when, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  if (sodium_init() < 0) return buf;
  std::uint8_t random[2];
  randombytes_buf(random, sizeof random);
  return fmt::format("{}-{}", buf, to_hex(random, sizeof random));
}

Result<void> Repository::sync() {
  auto objects = impl_->storage->list();
  if (!objects) return fail(objects.error());
  std::map<std::string, CatalogSource> sources;
  std::map<std::string, std::string> verify_stamps;
  for (const ObjectInfo& o : *objects) {
    const std::string id = id_of(o.name);
    if (id.empty()) continue;
    if (o.name.ends_with(kManifestSuffix)) sources[id] = {id, o.stamp, ""};
    if (o.name.ends_with(kVerifySuffix)) verify_stamps[id] = o.stamp;
  }
  std::vector<CatalogSource> list;
  for (auto& [id, s] : sources) {
    if (auto v = verify_stamps.find(id); v != verify_stamps.end()) s.verify_stamp = v->second;
    list.push_back(s);
  }
  const auto load = [&](const std::string& id) -> Result<std::pair<Manifest, std::optional<VerifyRecord>>> {
    auto m = manifest(id);
    if (!m) return fail(m.error());
    std::optional<VerifyRecord> record;
    if (!sources.at(id).verify_stamp.empty()) {
      auto text = impl_->storage->get(verify_name(id));
      if (text) {
        auto r = parse_verify_record(*text, impl_->storage->describe() + verify_name(id));
        if (r) record = std::move(*r);
      }
    }
    return std::pair{std::move(*m), std::move(record)};
  };
  auto unreadable = impl_->catalog->sync(list, load);
  if (!unreadable) return fail(unreadable.error());
  impl_->damaged.clear();
  for (const Unreadable& u : *unreadable) {
    Entry e;
    e.id = u.id;
    e.created_at = created_at_of(u.id);
    e.verify_status = "corrupt";
    e.damaged = u.error.where.empty() ? u.error.message : fmt::format("{}: {}", u.error.where, u.error.message);
    e.verify_message = "damaged manifest: " + e.damaged;
    impl_->damaged.push_back(std::move(e));
  }
  std::sort(impl_->damaged.begin(), impl_->damaged.end(), older);
  return {};
}

Result<std::vector<Entry>> Repository::list() {
  if (auto s = sync(); !s) return fail(s.error());
  return impl_->catalog->entries();
}

Result<std::vector<Entry>> Repository::list_all() {
  auto entries = list();
  if (!entries) return fail(entries.error());
  std::vector<Entry> all;
  all.reserve(entries->size() + impl_->damaged.size());
  std::merge(std::make_move_iterator(entries->begin()), std::make_move_iterator(entries->end()), impl_->damaged.begin(),
             impl_->damaged.end(), std::back_inserter(all), older);
  return all;
}

Result<std::string> Repository::resolve(const std::string& ref) {
  auto entries = list_all();
  if (!entries) return fail(entries.error());
  if (entries->empty()) {
    return fail(Error::input("the repository has no backups", impl_->storage->describe(),
                             "create one with `slipway backup create`"));
  }
  if (ref == "latest") return entries->back().id;
  std::vector<std::string> matches;
  for (const Entry& e : *entries) {
    if (e.id == ref) return e.id;
    if (e.id.starts_with(ref)) matches.push_back(e.id);
  }
  if (matches.size() == 1) return matches.front();
  if (matches.empty()) {
    return fail(Error::input(fmt::format("no backup '{}'", ref), impl_->storage->describe(),
                             "run `slipway backup list` for the ids, or use \"latest\""));
  }
  return fail(
      Error::input(fmt::format("'{}' matches {} backups ({}, {}, ...)", ref, matches.size(), matches[0], matches[1]),
                   impl_->storage->describe(), "give more of the id"));
}

Result<Manifest> Repository::manifest(const std::string& id) {
  const std::string name = manifest_name(id);
  const std::string where = impl_->storage->describe() + name;
  auto text = impl_->storage->get(name);
  if (!text) return fail(text.error());
  auto m = parse_manifest(*text, where);
  if (!m) return m;
  const std::string hint = "a manifest edited by hand is not trusted: put the original back, or remove the backup";
  if (m->id != id) {
    return fail(Error::input(fmt::format("the manifest's id '{}' is not its file's, '{}'", m->id, id), where, hint));
  }
  // Never a path from the manifest: the archive's name follows from the id.
  if (const std::string expected = archive_name(id, m->encrypted()); m->archive != expected) {
    return fail(Error::input(fmt::format("archive.name '{}' is not {}: an archive is always <id>.dump.zst (.enc when "
                                         "encrypted) inside the repository",
                                         m->archive, expected),
                             where, hint));
  }
  return m;
}

Result<void> Repository::record_verification(const std::string& id, const VerifyRecord& record) {
  if (auto p = impl_->storage->put(verify_name(id), to_json(record)); !p) return p;
  return sync();
}

Result<void> Repository::remove(const std::string& id) {
  if (auto m = manifest(id); !m) return fail(m.error());
  // The manifest goes first: from then on the backup no longer looks complete.
  if (auto r = impl_->storage->remove(manifest_name(id)); !r) return r;
  for (bool encrypted : {false, true}) {
    if (auto r = impl_->storage->remove(archive_name(id, encrypted)); !r) return r;
  }
  if (auto r = impl_->storage->remove(verify_name(id)); !r) return r;
  return sync();
}

Result<void> Repository::rebuild_catalog() {
  if (auto c = impl_->catalog->clear(); !c) return c;
  return sync();
}

Result<int> Repository::clean_leftovers() {
  auto removed = impl_->storage->remove_incomplete();
  if (!removed) return fail(removed.error());
  auto objects = impl_->storage->list();
  if (!objects) return fail(objects.error());
  std::set<std::string> complete;
  for (const ObjectInfo& o : *objects) {
    if (o.name.ends_with(kManifestSuffix)) complete.insert(id_of(o.name));
  }
  int count = *removed;
  for (const ObjectInfo& o : *objects) {
    const std::string id = id_of(o.name);
    if (id.empty() || complete.contains(id)) continue;
    if (auto r = impl_->storage->remove(o.name); !r) return fail(r.error());
    ++count;
  }
  return count;
}

}  // namespace slipway::backup
