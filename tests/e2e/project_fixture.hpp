#pragma once
// A 10-table example project (references, indexes, every common type) written to a folder.
#include <string>

namespace stk::e2e {

inline const char* kShopSchema = R"(version: 1
tables:
  orgs:
    id: { name: id, generate: ulid }
    columns:
      name: { type: string, unique: true }
      plan: { type: string, default: "free" }
      created_at: { type: timestamp, default: now }
  teams:
    id: { name: id, generate: uuid_v7 }
    columns:
      org_id:
        type: string
        references: { table: orgs, as: org, onDelete: cascade }
      name: { type: string }
    indexes:
      - columns: [org_id, name]
        unique: true
  users:
    id: { name: id, generate: ulid }
    columns:
      email: { type: string, unique: true }
      display_name: { type: string, nullable: true }
      team_id:
        type: string
        nullable: true
        references: { table: teams, as: team, onDelete: set_null }
      age: { type: int, nullable: true }
      active: { type: boolean, default: true }
      settings: { type: json, nullable: true }
    indexes:
      - columns: [team_id]
  categories:
    id: { name: id, type: bigint, generate: auto_increment }
    columns:
      slug: { type: string, unique: true }
      title: { type: string }
  posts:
    id: { name: id, generate: ulid }
    columns:
      author_id:
        type: string
        references: { table: users, as: author, onDelete: cascade }
      category_id:
        type: bigint
        nullable: true
        references: { table: categories, as: category }
      title: { type: string }
      body: { type: string, nullable: true }
      status: { type: string, default: "draft" }
      score: { type: float, default: 0 }
      labels: { type: array, items: string, nullable: true }
      published_at: { type: timestamp, nullable: true }
    indexes:
      - columns: [author_id, published_at]
      - columns: [status]
  comments:
    id: { name: id, generate: nanoid }
    columns:
      post_id:
        type: string
        references: { table: posts, as: post, onDelete: cascade }
      author_id:
        type: string
        references: { table: users, as: author }
      body: { type: string }
    indexes:
      - columns: [post_id]
  tags:
    id: { name: id, generate: client }
    columns:
      label: { type: string }
  post_tags:
    id: { name: id, generate: uuid_v4 }
    columns:
      post_id:
        type: string
        references: { table: posts, as: post, onDelete: cascade }
      tag_id:
        type: string
        references: { table: tags, as: tag, onDelete: cascade }
    indexes:
      - columns: [post_id, tag_id]
        unique: true
  attachments:
    id: { name: id, generate: ulid }
    columns:
      post_id:
        type: string
        references: { table: posts, as: post, onDelete: cascade }
      file: { type: file, bucket: media, nullable: true }
      size_bytes: { type: bigint, default: 0 }
      checksum: { type: bytes, nullable: true }
  invoices:
    id: { name: id, generate: ulid }
    columns:
      org_id:
        type: string
        references: { table: orgs, as: org, onDelete: restrict }
      amount: { type: decimal }
      paid: { type: boolean, default: false }
      issued_at: { type: timestamp, default: now }
    indexes:
      - columns: [org_id, issued_at]
)";

inline const char* kShopPermissions = R"(tables:
  posts:
    select:
      - roles: [admin]
        columns: ["*"]
      - roles: [public]
        condition: "resource.status == 'published'"
        columns: [id, title, author_id, published_at]
    insert:
      - roles: [admin]
    update:
      roles: [admin]
      condition: "resource.status != 'archived'"
      columns: [title, body, status]
    delete:
      - roles: [admin]
  users:
    select:
      - roles: [public]
        columns: [id, display_name, team_id]
)";

}  // namespace stk::e2e
