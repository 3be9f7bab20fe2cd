#pragma once
// Internal to lib/storage: where an s3:// storage is and who we are to it. The
// configuration is resolved once, when the storage is opened, from the storage's
// section of .pantheon.toml and the AWS conventions (the environment, the shared
// credentials and config files); nothing here talks to the network.
#include <string>

#include "config/config.hpp"
#include "storage/sigv4.hpp"

namespace gp::storage_detail {

struct S3Config {
  std::string bucket;
  std::string prefix;  // no leading or trailing '/'; "" for the whole bucket
  std::string url;     // "s3://bucket[/prefix]", for messages
  std::string region;
  std::string scheme;  // http or https
  std::string host;    // the Host of every request: endpoint host[:port], with "bucket." unless path_style
  bool path_style = false;
  sigv4::Credentials creds;

  // The object name of storage key `key` (the prefix joined in front).
  std::string object(const std::string& key) const { return prefix.empty() ? key : prefix + "/" + key; }
  // The request path of object `obj` ("" for the bucket itself), before URI encoding.
  std::string path_for(const std::string& obj) const;
  // "s3://bucket/<obj>": how messages name an object.
  std::string subject(const std::string& obj) const { return "s3://" + bucket + "/" + obj; }
  // "<scheme>://<host>": the endpoint as a state file records it.
  std::string endpoint() const { return scheme + "://" + host; }
};

// Resolves the configuration of "s3://<bucket>/<prefix>" (storage.hpp's
// open_storage() says from where). Throws gp::Error(Exit::config) for a malformed
// endpoint or when no credentials are found (the message names the profile, never
// a key).
S3Config resolve_s3_config(const StorageConfig& cfg, const std::string& bucket, const std::string& prefix);

}  // namespace gp::storage_detail
