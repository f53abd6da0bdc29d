# Service manager boundary: readiness and watchdog kicks (sd_notify).
LIBS += tgservice
tgservice_SRCS := $(wildcard drivers/service/*.cpp)
tgservice_LDLIBS := -lsystemd

UNIT_TESTS += unit-service
unit-service_SRCS := $(wildcard tests/unit/drivers/service/*_test.cpp)
unit-service_LIBS := tgservice
