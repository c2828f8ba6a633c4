namespace FuzzFarm.Machine;

/// <summary>
/// Why a call failed, spelled only when <see cref="Kernel.Error"/> is read. A fuzzed program's accesses, GUPs,
/// madvise and mprotect calls and device accesses through pins fail often (no mapping, an unaligned range) and nothing
/// reads why: formatting an address or offset into a string for each failure was waste. Each kind spells exactly the
/// text the call used to set.
/// </summary>
internal readonly struct FailReason
{
    private readonly Kind _kind;
    private readonly ulong _addr;
    private readonly long _len;
    private readonly FaultKind _fault;
    /// <summary>Segv: a VMA was there; GupNotAllowed: the GUP wanted to write.</summary>
    private readonly bool _flag;
    /// <summary>The reason is GUP's EFAULT for a fault that failed with this one.</summary>
    private readonly bool _inGup;
    private readonly string? _text;

    private FailReason(Kind kind, ulong addr = 0, long len = 0, FaultKind fault = FaultKind.Read, bool flag = false, bool inGup = false,
        string? text = null)
    {
        _kind = kind;
        _addr = addr;
        _len = len;
        _fault = fault;
        _flag = flag;
        _inGup = inGup;
        _text = text;
    }

    private enum Kind : byte
    {
        Text,
        Segv,
        GupNoMapping,
        GupNotAllowed,
        NotMapped,
        NotPageAligned,
        BadLength,
        PinOffset,
        PinNoPage,
    }

    /// <summary>A reason already spelled.</summary>
    public static FailReason Of(string text) => new(Kind.Text, text: text);

    /// <summary>A fault's SIGSEGV at <paramref name="addr"/>, with or without a VMA there.</summary>
    public static FailReason Segv(bool mapped, FaultKind kind, ulong addr) => new(Kind.Segv, addr, fault: kind, flag: mapped);

    /// <summary>GUP finds no VMA at <paramref name="addr"/>.</summary>
    public static FailReason GupNoMapping(ulong addr) => new(Kind.GupNoMapping, addr);

    /// <summary>GUP's check_vma_flags refuses the access at <paramref name="addr"/>.</summary>
    public static FailReason GupNotAllowed(ulong addr, bool write) => new(Kind.GupNotAllowed, addr, flag: write);

    /// <summary>mprotect or madvise meets a hole at <paramref name="addr"/> (ENOMEM).</summary>
    public static FailReason NotMapped(ulong addr) => new(Kind.NotMapped, addr);

    /// <summary>mprotect or madvise gets a start that is not page-aligned.</summary>
    public static FailReason NotPageAligned(ulong addr) => new(Kind.NotPageAligned, addr);

    /// <summary>mprotect or madvise gets a length out of bounds.</summary>
    public static FailReason BadLength(long len) => new(Kind.BadLength, len: len);

    /// <summary>A device access through a pin at an offset outside it or not 8-byte aligned.</summary>
    public static FailReason PinOffset(long offset) => new(Kind.PinOffset, len: offset);

    /// <summary>A device access through a pin at an offset where it holds no page.</summary>
    public static FailReason PinNoPage(long offset) => new(Kind.PinNoPage, len: offset);

    /// <summary>GUP's EFAULT when the fault it took failed for this reason.</summary>
    public FailReason InGup() => new(_kind, _addr, _len, _fault, _flag, inGup: true, _text);

    public string Text()
    {
        var text = _kind switch
        {
            Kind.Segv => _flag
                ? $"SIGSEGV: {(_fault == FaultKind.Write ? "write to" : "read of")} 0x{_addr:x} not permitted"
                : $"SIGSEGV: no mapping at 0x{_addr:x}",
            Kind.GupNoMapping => $"EFAULT: no mapping at 0x{_addr:x}",
            Kind.GupNotAllowed => $"EFAULT: 0x{_addr:x} does not allow {(_flag ? "writing" : "reading")}",
            Kind.NotMapped => $"ENOMEM: 0x{_addr:x} is not mapped",
            Kind.NotPageAligned => $"EINVAL: 0x{_addr:x} is not page-aligned",
            Kind.BadLength => $"EINVAL: length {_len}",
            Kind.PinOffset => $"EINVAL: offset {_len} outside the pin or not 8-byte aligned",
            Kind.PinNoPage => $"EFAULT: the pin holds no page at offset {_len}",
            _ => _text!,
        };
        return _inGup ? $"EFAULT: {text}" : text;
    }
}
