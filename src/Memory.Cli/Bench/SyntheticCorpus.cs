namespace Memory.Cli.Bench;

/// <summary>
/// Deterministic chat-like sentences for load tests: a seeded generator picks subjects, verbs, objects, places
/// and times from fixed word lists, so every run stores the same texts and asks the same queries. Every text
/// carries its own number, so none is a duplicate of another.
/// </summary>
public sealed class SyntheticCorpus
{
    private static readonly string[] Subjects =
    [
        "I", "My sister", "My brother", "Our team", "My partner", "My friend Alex", "The neighbours", "My manager", "My dad",
        "My mum", "Grandma", "The kids", "My roommate", "Sam", "Jordan", "Priya", "Chen", "Maria", "Olu", "Lena",
    ];

    private static readonly string[] Verbs =
    [
        "started learning", "finally finished", "booked", "cancelled", "recommended", "bought", "painted", "cooked",
        "planned", "visited", "adopted", "sold", "fixed", "wrote about", "practised", "signed up for", "lost", "found",
        "borrowed", "returned", "organised", "photographed", "repaired", "ordered", "tried",
    ];

    private static readonly string[] Objects =
    [
        "a pottery class", "the marathon", "a vegan lasagna", "a road trip", "the guitar", "a rescue dog", "a sourdough starter",
        "the old bicycle", "a camping trip", "a chess tournament", "the piano lessons", "a birthday party", "a book club",
        "the garden", "a painting of the lake", "a hiking trail", "the kitchen shelves", "a concert ticket", "a yoga retreat",
        "a science fiction novel", "the family album", "a climbing course", "a new laptop", "the violin", "a photo exhibition",
        "a charity run", "a language course", "the basement", "a surfing lesson", "an apple pie", "a wedding speech",
        "a board game night", "a volunteer shift", "the car", "a job interview", "a dentist appointment", "a kayak",
    ];

    private static readonly string[] Places =
    [
        "in Berlin", "at the community centre", "near the beach", "in the mountains", "downtown", "at school", "at work",
        "in Lisbon", "at the library", "in the park", "at home", "in Toronto", "at the farmers market", "in Kyoto",
        "at the gym", "by the river", "in the village", "at the studio", "in Nairobi", "at the museum",
    ];

    private static readonly string[] Times =
    [
        "last week", "yesterday", "this morning", "two years ago", "in May", "over the weekend", "last summer",
        "on Friday", "in 2022", "a month ago", "at Christmas", "recently", "after the holidays", "in the spring",
    ];

    private static readonly string[] Feelings =
    [
        "and loved it", "and it was exhausting", "which felt great", "but it rained the whole time", "and want to do it again",
        "with a lot of help", "on a tight budget", "for the first time", "to relax a bit", "because it was on sale",
    ];

    private readonly int _seed;

    public SyntheticCorpus(int seed) => _seed = seed;

    public string Memory(int index)
    {
        var random = new Random(HashCode.Combine(_seed, index));
        return $"{Pick(random, Subjects)} {Pick(random, Verbs)} {Pick(random, Objects)} {Pick(random, Places)} "
            + $"{Pick(random, Times)} {Pick(random, Feelings)} (note {index}).";
    }

    public string Query(int index)
    {
        var random = new Random(HashCode.Combine(_seed, -1 - index));
        return random.Next(3) switch
        {
            0 => $"When did {Pick(random, Subjects).ToLowerInvariant()} visit {Pick(random, Places)}?",
            1 => $"What happened with {Pick(random, Objects)}?",
            _ => $"Who {Pick(random, Verbs)} {Pick(random, Objects)} {Pick(random, Times)}?",
        };
    }

    private static string Pick(Random random, string[] values) => values[random.Next(values.Length)];
}
