#!/usr/bin/env python3
"""Writes the .proto files H5Train's TensorBoard writer needs, as the `tensorboard` PyPI package
defines them, into Sources/TensorBoardProto/proto/.

Only what an `Event` can hold is kept (the worker-heartbeat messages and enums beside it are
left out). The wheel ships its protocol definitions compiled (tensorboard/compat/proto/*_pb2.py), not as
.proto text, so this script prints each file back from the descriptor the package embeds: same
package, messages, field numbers, types, enums, oneofs and options (comments are not kept in a
descriptor). Needs `pip install tensorboard`; never needed to build or test.

    python3 tools/extract-tensorboard-protos.py
    # then regenerate the Swift: tools/generate-tensorboard-proto
"""
import os
import sys

from google.protobuf import descriptor_pb2
from tensorboard.compat.proto import event_pb2
import tensorboard

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Sources", "TensorBoardProto", "proto")

TYPES = {
    1: "double", 2: "float", 3: "int64", 4: "uint64", 5: "int32", 6: "fixed64", 7: "fixed32", 8: "bool",
    9: "string", 12: "bytes", 13: "uint32", 15: "sfixed32", 16: "sfixed64", 17: "sint32", 18: "sint64",
}


def short(file_package, type_name):
    """A fully qualified `.pkg.Name` as it would be written inside `pkg`."""
    prefix = "." + file_package + "."
    return type_name[len(prefix):] if type_name.startswith(prefix) else type_name


def field_options(field):
    options = []
    if field.options.HasField("packed"):
        options.append("packed = %s" % ("true" if field.options.packed else "false"))
    if field.options.deprecated:
        options.append("deprecated = true")
    return " [%s]" % ", ".join(options) if options else ""


def field_type(package, field, nested_maps):
    if field.type in (11, 14):  # message, enum
        if field.type_name in nested_maps:
            key, value = nested_maps[field.type_name]
            return "map<%s, %s>" % (field_type(package, key, {}), field_type(package, value, {}))
        return short(package, field.type_name)
    return TYPES[field.type]


def write_enum(lines, enum, indent):
    pad = "  " * indent
    lines.append("%senum %s {" % (pad, enum.name))
    if enum.options.allow_alias:
        lines.append("%s  option allow_alias = true;" % pad)
    for value in enum.value:
        lines.append("%s  %s = %d%s;" % (pad, value.name, value.number, " [deprecated = true]" if value.options.deprecated else ""))
    lines.append("%s}" % pad)


def write_message(lines, package, message, indent, scope):
    pad = "  " * indent
    full = scope + "." + message.name
    nested_maps = {}
    for nested in message.nested_type:
        if nested.options.map_entry:
            nested_maps[full + "." + nested.name] = (nested.field[0], nested.field[1])
    lines.append("%smessage %s {" % (pad, message.name))
    if message.options.deprecated:
        lines.append("%s  option deprecated = true;" % pad)
    for enum in message.enum_type:
        write_enum(lines, enum, indent + 1)
    for nested in message.nested_type:
        if not nested.options.map_entry:
            write_message(lines, package, nested, indent + 1, full)
    written_oneofs = set()
    for field in message.field:
        if field.HasField("oneof_index") and not field.proto3_optional:
            index = field.oneof_index
            if index in written_oneofs:
                continue
            written_oneofs.add(index)
            lines.append("%s  oneof %s {" % (pad, message.oneof_decl[index].name))
            for member in message.field:
                if member.HasField("oneof_index") and member.oneof_index == index:
                    lines.append("%s    %s %s = %d%s;" % (pad, field_type(package, member, nested_maps), member.name,
                                                          member.number, field_options(member)))
            lines.append("%s  }" % pad)
            continue
        label = "repeated " if field.label == 3 and field.type_name not in nested_maps else ""
        if field.proto3_optional:
            label = "optional "
        lines.append("%s  %s%s %s = %d%s;" % (pad, label, field_type(package, field, nested_maps), field.name,
                                                field.number, field_options(field)))
    for reserved in message.reserved_range:
        end = reserved.end - 1
        lines.append("%s  reserved %s;" % (pad, str(reserved.start) if end == reserved.start else "%d to %d" % (reserved.start, end)))
    for name in message.reserved_name:
        lines.append('%s  reserved "%s";' % (pad, name))
    lines.append("%s}" % pad)


def proto_text(file_descriptor):
    proto = descriptor_pb2.FileDescriptorProto()
    file_descriptor.CopyToProto(proto)
    lines = [
        "// Printed by tools/extract-tensorboard-protos.py from the descriptor in the tensorboard %s" % tensorboard.__version__,
        "// PyPI package (%s_pb2.py). Copyright The TensorFlow Authors; Apache License 2.0." % proto.name[:-len(".proto")],
        "",
        'syntax = "%s";' % (proto.syntax or "proto2"),
        "",
        "package %s;" % proto.package,
        "",
    ]
    for dependency in proto.dependency:
        lines.append('import "%s";' % dependency)
    if proto.dependency:
        lines.append("")
    for enum in proto.enum_type:
        if proto.package + "." + enum.name not in NEEDED:
            continue
        write_enum(lines, enum, 0)
        lines.append("")
    for message in proto.message_type:
        if proto.package + "." + message.name not in NEEDED:
            continue
        write_message(lines, proto.package, message, 0, "." + proto.package)
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def reachable(message, seen):
    """Full names of the messages and enums `message` needs (itself included)."""
    if message.full_name in seen:
        return seen
    seen.add(message.full_name)
    for nested in message.nested_types:
        reachable(nested, seen)
    for enum in message.enum_types:
        seen.add(enum.full_name)
    for field in message.fields:
        if field.message_type is not None:
            reachable(field.message_type, seen)
        if field.enum_type is not None:
            seen.add(field.enum_type.full_name)
    return seen


def walk(file_descriptor, seen):
    if file_descriptor.name in seen:
        return
    seen[file_descriptor.name] = file_descriptor
    for dependency in file_descriptor.dependencies:
        walk(dependency, seen)


NEEDED = reachable(event_pb2.Event.DESCRIPTOR, set())


def main():
    files = {}
    walk(event_pb2.DESCRIPTOR, files)
    os.makedirs(os.path.join(OUT, "tensorboard", "compat", "proto"), exist_ok=True)
    for name, file_descriptor in sorted(files.items()):
        path = os.path.join(OUT, name)
        with open(path, "w") as out:
            out.write(proto_text(file_descriptor))
        print(os.path.relpath(path))


if __name__ == "__main__":
    sys.exit(main())
