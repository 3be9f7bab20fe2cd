<?php
// WordPress-like options for the URL-rewrite tests (t-rewrite*.sh), made and
// judged by PHP itself.
//   php wp_options.php gen BASE
//       one line per option: "<name>\t<hex of the stored value>", as WordPress
//       stores them (maybe_serialize: arrays and objects serialized, a string that
//       is serialized data serialized again) for a site at BASE.
//   php wp_options.php check BASE FILE
//       FILE holds "<name>\t<hex>" lines read back from a database: each value must
//       be byte for byte what `gen BASE` stores, and every serialized one must
//       unserialize(). Prints what differs; exits 1 if anything does.
//   php wp_options.php wordpress BASE DB_NAME DB_USER DB_HOST
//       WordPress itself (Debian's /usr/share/wordpress, SHORTINIT) reads the
//       options of that MariaDB database (password in $WP_DB_PASSWORD): siteurl and
//       home must be BASE, and every option's get_option() what a site at BASE has.
function options($base) {
  $host = parse_url($base, PHP_URL_HOST) . (parse_url($base, PHP_URL_PORT) ? ':' . parse_url($base, PHP_URL_PORT) : '');
  return [
    'siteurl' => $base,
    'home' => $base,
    'blogname' => "It's \"quoted\" \\ back",
    'widget_text' => [
      2 => ['title' => 'Links', 'text' => "<a href=\"$base/about\">it's \"here\"</a>\r\nnext line\tand a tab", 'filter' => true],
      '_multiwidget' => 1,
    ],
    'theme_mods_twentytwenty' => [
      'header_image' => "$base/wp-content/uploads/2024/01/h\xc3\xa9.jpg",
      'custom_css_post_id' => -1,
      'ratio' => 0.5,
      'none' => null,
      'nested' => (object)['cdn' => 'https://cdn.www.example.com/x.js', 'site' => "//$host/y", 'list' => ["$base/1", "$base/2", 42]],
    ],
    'double_serialized' => serialize(['inner' => "$base/inner", 'n' => 3]),
    'json_option' => json_encode(['url' => "$base/x", 'home' => $base]),
    'encoded_option' => 'redirect_to=' . urlencode("$base/wp-admin/ a"),
    'plain_host' => $host,
    'look_alikes' => "www.example.com.evil myexample.com cdn.www.example.com",
    'broken_serialized' => 's:99:"https://www.example.com/broken";',
  ];
}

function stored($name, $v) {
  if ($name === 'broken_serialized') return $v;
  if (!is_string($v)) return serialize($v);
  return @unserialize($v) !== false ? serialize($v) : $v;
}

$mode = $argv[1];
if ($mode === 'wordpress') {
  define('DB_NAME', $argv[3]);
  define('DB_USER', $argv[4]);
  define('DB_PASSWORD', getenv('WP_DB_PASSWORD'));
  define('DB_HOST', $argv[5]);
  define('DB_CHARSET', 'utf8mb4');
  define('DB_COLLATE', '');
  $table_prefix = 'wp_';
  define('ABSPATH', '/usr/share/wordpress/');
  define('SHORTINIT', true);
  require ABSPATH . 'wp-settings.php';
  $bad = 0;
  foreach (['siteurl', 'home'] as $name)
    if (get_option($name) !== $argv[2]) { echo "WordPress' $name is ", var_export(get_option($name), true), "\n"; $bad++; }
  foreach (options($argv[2]) as $name => $v) {
    // A value that looks serialized and is not is lost to WordPress (false) on
    // every environment alike.
    $expect = $name === 'broken_serialized' ? false : $v;
    if (get_option($name) != $expect) { echo "WordPress' $name is ", var_export(get_option($name), true), "\n"; $bad++; }
  }
  exit($bad ? 1 : 0);
}
$want = [];
foreach (options($argv[2]) as $name => $v) $want[$name] = stored($name, $v);
if ($mode === 'gen') {
  foreach ($want as $name => $s) echo $name, "\t", bin2hex($s), "\n";
  exit(0);
}
$bad = 0;
$seen = 0;
foreach (file($argv[3], FILE_IGNORE_NEW_LINES) as $line) {
  if ($line === '') continue;
  [$name, $hex] = explode("\t", $line);
  $got = hex2bin(strtolower($hex));
  $seen++;
  if (!array_key_exists($name, $want)) { echo "unknown option $name\n"; $bad++; continue; }
  if ($got !== $want[$name]) { echo "$name differs:\n  got:  ", $got, "\n  want: ", $want[$name], "\n"; $bad++; }
  if ($name !== 'broken_serialized' && preg_match('/^[aOs]:[0-9]+:/', $got)) {
    $v = @unserialize($got);
    if ($v === false) { echo "$name does not unserialize: $got\n"; $bad++; continue; }
    if (is_string($v) && preg_match('/^[aOs]:[0-9]+:/', $v) && @unserialize($v) === false) {
      echo "$name: its inner value does not unserialize\n";
      $bad++;
    }
  }
}
if ($seen !== count($want)) { echo "read $seen options, expected ", count($want), "\n"; $bad++; }
exit($bad ? 1 : 0);
