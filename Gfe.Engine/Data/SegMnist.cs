namespace Gfe.Engine.Data;

/// <summary>
/// SegMNIST (docs/method.md §5): a test of generalisation to unseen classes. Training uses every image of the MNIST
/// training file with a digit 0-4, in file order and without the 50,000-image pool of <see cref="TrainingSplit"/>;
/// testing uses the MNIST test images with a digit 5-9. As in the reference there are no validation images.
/// </summary>
public static class SegMnist
{
    /// <summary>Digits below this train; the others test.</summary>
    public const int FirstTestDigit = 5;

    /// <summary>The training and test images of SegMNIST from the whole MNIST training and test files.</summary>
    public static (ImageSet Train, ImageSet Test) Cut(ImageSet trainingFile, ImageSet testFile) =>
        (Where(trainingFile, digit => digit < FirstTestDigit), Where(testFile, digit => digit >= FirstTestDigit));

    private static ImageSet Where(ImageSet images, Func<byte, bool> keep) =>
        images.Select(Enumerable.Range(0, images.Count).Where(i => keep(images.Labels[i])).ToArray());
}
