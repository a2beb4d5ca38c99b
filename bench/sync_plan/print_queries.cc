// Prints kSyncRows and kSyncRowsMany of the queries.h it is built against,
// one a line.
#include <cstdio>

#include "messaging-service/src/storage/queries.h"

int main() {
  std::printf("%s\n%s\n", messenger::messaging::queries::kSyncRows.sql,
              messenger::messaging::queries::kSyncRowsMany.sql);
}
