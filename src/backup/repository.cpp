#include "backup/repository.hpp"

#include <sodium.h>

#include <map>
#include <optional>
#include <set>

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

}  // namespace

struct Repository::Impl {
  std::unique_ptr<Storage> storage;
  std::optional<Catalog> catalog;
  std::vector<std::string> warnings;
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
  impl_->warnings = std::move(*unreadable);
  return {};
}

Result<std::vector<Entry>> Repository::list() {
  if (auto s = sync(); !s) return fail(s.error());
  return impl_->catalog->entries();
}

const std::vector<std::string>& Repository::warnings() const {
  return impl_->warnings;
}

Result<std::string> Repository::resolve(const std::string& ref) {
  auto entries = list();
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
  auto text = impl_->storage->get(name);
  if (!text) return fail(text.error());
  return parse_manifest(*text, impl_->storage->describe() + name);
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
