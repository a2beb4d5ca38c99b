// A benchmark report as one structure from which both the Markdown and the
// JSON file are written, so the two always agree. Numbers are rounded when
// they enter a table, and both outputs print the rounded value.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace messenger::bench {

// A table cell: a number rounded to `decimals` or a string.
nlohmann::json Num(double value, int decimals = 2);

struct Section {
  std::string id;     // JSON key
  std::string title;  // Markdown heading
  std::vector<std::string> notes;
  std::vector<std::string> columns;
  std::vector<std::vector<nlohmann::json>> rows;

  Section& Note(std::string text);
  // Appends a row; it must have one cell per column.
  Section& Row(std::vector<nlohmann::json> cells);
};

class Report {
 public:
  explicit Report(std::string title) : title_(std::move(title)) {}

  void AddPreamble(std::string text) { preamble_.push_back(std::move(text)); }
  // A new section; the reference stays valid until the next AddSection.
  Section& AddSection(std::string id, std::string title, std::vector<std::string> columns);
  // Something that makes the run fail (non-zero exit); listed in both files.
  void Fail(const std::string& scenario, const std::string& what);
  bool failed() const { return !failures_.empty(); }

  nlohmann::json ToJson() const;
  std::string ToMarkdown() const;
  // Writes <prefix>.md and <prefix>.json.
  absl::Status Write(const std::string& prefix) const;

 private:
  std::string title_;
  std::vector<std::string> preamble_;
  std::vector<Section> sections_;
  std::vector<std::string> failures_;
};

}  // namespace messenger::bench
