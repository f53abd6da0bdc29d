// CppUTest runner shared by every unit-test binary.
#include <CppUTest/CommandLineTestRunner.h>
#include <CppUTest/MemoryLeakWarningPlugin.h>

int main(int argc, char** argv) {
  // Some tests run a second thread (the management server's loop, ring and
  // seqlock readers) that allocates while the test does. CppUTest's leak
  // detector keeps its tables without a lock by default: concurrent new/delete
  // corrupted them once and unit-mgmt spun forever in getTotalLeaks.
  MemoryLeakWarningPlugin::turnOnThreadSafeNewDeleteOverloads();
  return CommandLineTestRunner::RunAllTests(argc, argv);
}
