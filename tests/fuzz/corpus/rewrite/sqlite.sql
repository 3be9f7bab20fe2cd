PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE wp_posts (ID INTEGER, [guid] TEXT, "c" TEXT);
INSERT INTO "wp_posts" VALUES(1,'https://www.example.com',('a''b'||char(13)||'https:\/\/www.example.com\/x'));
INSERT INTO "wp_posts" VALUES(2,X'7777772E6578616D706C652E636F6D',CAST(X'00' AS TEXT));
COMMIT;
