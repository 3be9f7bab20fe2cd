#pragma once
// Internal to lib/storage: a tiny, tolerant extractor for the few XML elements S3
// answers with (no XML library: S3's documents are flat and machine-written), and
// the unquoting of the ETags they carry.
#include <string>
#include <string_view>
#include <vector>

namespace gp::storage_detail {

// The text of the first <tag>...</tag> (attributes on the opening tag allowed),
// entities decoded; "" when absent.
std::string xml_tag(std::string_view xml, std::string_view tag);
// The inner XML of every <tag>...</tag>, in order.
std::vector<std::string> xml_blocks(std::string_view xml, std::string_view tag);
// `s` without one pair of surrounding double quotes (an ETag as S3 sends it).
std::string unquote(std::string s);
// Decodes &amp; &lt; &gt; &quot; &apos; and numeric character references.
std::string xml_unescape(std::string_view s);

}  // namespace gp::storage_detail
